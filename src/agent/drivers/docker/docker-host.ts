/**
 * Where the Docker daemon listens, from a DOCKER_HOST-style address. Pure; the driver passes the
 * result to engine-client.ts.
 */

export type DockerConnection =
  | { socketPath: string }
  | { protocol: 'http'; host: string; port: number };

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/**
 * `unix:///path/docker.sock` -> the socket; `tcp://host:port` -> plain HTTP (Docker's TLS setup is not
 * supported); empty -> /var/run/docker.sock.
 */
export function parseDockerHost(dockerHost: string | undefined): DockerConnection {
  const value = (dockerHost ?? '').trim();
  if (value === '') return { socketPath: DEFAULT_DOCKER_SOCKET };
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new Error(`DOCKER_HOST ${value}: the socket path must be absolute`);
    return { socketPath };
  }
  if (value.startsWith('tcp://')) {
    const url = new URL(`http://${value.slice('tcp://'.length)}`);
    return { protocol: 'http', host: url.hostname, port: url.port ? Number(url.port) : 2375 };
  }
  if (value.startsWith('/')) return { socketPath: value };
  throw new Error(`DOCKER_HOST ${value}: expected unix:///path or tcp://host:port`);
}

/** for error messages: where we tried to reach the daemon, as people name it (the socket's path, or tcp://host:port) */
export function describeWhere(c: DockerConnection): string {
  return 'socketPath' in c ? c.socketPath : `tcp://${c.host}:${c.port}`;
}
