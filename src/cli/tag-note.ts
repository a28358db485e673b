/**
 * `paz deploy NAME` without `--tag` deploys the service's `dockerRepository` as it is: with no tag there,
 * Docker's `latest`. A user who deployed `--tag 1`, then changed a setting and deployed again, expects the
 * image that serves (Heroku: a config change is a new release of the same build) and gets `latest`, which may
 * be another build or not exist. The CLI says so before it deploys. Pure.
 */
import { parseImageRef, servingTagChange } from '../core/image-ref.js';

export function tagChangeNote(name: string, repository: string, serving: { version: number; image: string } | undefined): string | undefined {
  const change = serving && servingTagChange(repository, serving.image);
  if (!serving || !change) return undefined;
  const { now, next } = change;
  const why = parseImageRef(repository).tag ? `its dockerRepository names :${next}` : 'its dockerRepository names no tag';
  return `note: version ${serving.version} of ${name}, which serves, runs :${now}; this deploy runs :${next} (${why}). To deploy :${now} again: paz deploy ${name} --tag ${now}`;
}

/**
 * The command that rolls out a changed next config (`paz config set`, `paz secret set`): `paz deploy NAME`, with
 * `--tag` when the serving version runs another tag than the service's dockerRepository names, so that the config
 * goes out on the image that serves now, as the user expects of a config change.
 */
export function rolloutCommand(name: string, repository: string | undefined, servingImage: string | undefined): string {
  const change = repository !== undefined && servingImage !== undefined ? servingTagChange(repository, servingImage) : undefined;
  return change ? `paz deploy ${name} --tag ${change.now}` : `paz deploy ${name}`;
}
