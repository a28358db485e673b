/**
 * `paz completion bash|zsh` prints a completion script; the script asks the hidden `paz __complete WORDS…`
 * what to offer (completion-words.ts decides), which asks the server for service names and the profile file
 * for profile names, quietly and briefly: a shell must never hang or print errors on Tab.
 */
import { PazClient } from '../client/paz-client.js';
import { profileFilePath, readProfiles } from '../client/profile-file.js';
import { matching, whatToComplete, type CommandInfo } from './completion-words.js';
import { parse } from './options.js';
import { keyCandidates, type Config } from './config-keys.js';
import { UsageError } from './usage-error.js';

export const completionUsage = `usage: paz completion bash|zsh
  Prints a script that completes paz's commands, verbs, flags, service names (asked of the server the
  command would talk to) and profile names.
examples:
  source <(paz completion bash)                          # this shell; add the line to ~/.bashrc to keep it
  paz completion bash > /etc/bash_completion.d/paz
  source <(paz completion zsh)                           # in ~/.zshrc, after compinit`;

const BASH = `# paz completion for bash: source <(paz completion bash)
_paz() {
  local IFS=$'\\n'
  COMPREPLY=( $(paz __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) )
  # a config key is completed as KEY= or KEY.: the value or the entry follows without a space
  [[ \${#COMPREPLY[@]} -eq 1 && \${COMPREPLY[0]} == *[=.] ]] && compopt -o nospace
  return 0
}
complete -o default -F _paz paz
`;

const ZSH = `#compdef paz
# paz completion for zsh: source <(paz completion zsh) (after compinit)
_paz() {
  local -a candidates
  candidates=("\${(@f)$(paz __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=("\${(@)candidates:#}")
  if (( \${#candidates} )); then
    if [[ \${#candidates} -eq 1 && \${candidates[1]} == *[=.] ]]; then
      compadd -S '' -a candidates
    else
      compadd -a candidates
    fi
  else
    _files
  fi
}
if [[ "\${funcstack[1]}" == "_paz" ]]; then
  _paz "$@"
else
  compdef _paz paz
fi
`;

export async function completionCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) return console.log(completionUsage), 0;
  const [shell, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
  if (shell === 'bash') return process.stdout.write(BASH), 0;
  if (shell === 'zsh') return process.stdout.write(ZSH), 0;
  throw new UsageError(shell ? `no completion for "${shell}": bash or zsh` : 'name the shell: paz completion bash|zsh');
}

/** The value of `--name VALUE` or `--name=VALUE` among the words, for reaching the server they name. */
function flagValue(words: string[], name: string): string | undefined {
  for (let i = 0; i < words.length; i++) {
    if (words[i] === `--${name}`) return words[i + 1];
    if (words[i].startsWith(`--${name}=`)) return words[i].slice(name.length + 3);
  }
  return undefined;
}

/** The client the completed command would use (its --url, --token, --profile, --data-dir), impatient. */
function clientFor(words: string[]): PazClient {
  return new PazClient({ url: flagValue(words, 'url'), token: flagValue(words, 'token'), profile: flagValue(words, 'profile'), dataDir: flagValue(words, 'data-dir'), timeoutMs: 2000 });
}

async function serviceNames(words: string[]): Promise<string[]> {
  return (await clientFor(words).listServices()).map((s) => String(s.name));
}

/** The service's next config, or undefined when it cannot be had (the keys are offered without its entries). */
async function nextConfig(words: string[], service: string): Promise<Config | undefined> {
  try {
    return (await clientFor(words).call<{ doc: Config }>('GET', `/services/${encodeURIComponent(service)}/config/next`)).doc;
  } catch {
    return undefined;
  }
}

/** `paz __complete WORDS…`: one candidate a line. Never fails loudly: nothing to offer is an empty answer. */
export async function completeCommand(words: string[], table: Record<string, CommandInfo>): Promise<number> {
  const typed = words.at(-1) ?? '';
  try {
    const what = whatToComplete(words.length === 0 ? [''] : words, table);
    let candidates: string[];
    if ('candidates' in what) candidates = what.candidates;
    else if (what.need === 'config-keys') candidates = keyCandidates(typed.includes('.') ? await nextConfig(words.slice(0, -1), what.service) : undefined, what.verb, typed);
    else {
      const also = what.also ?? [];
      for (const c of matching(also, typed)) console.log(c);
      if (what.need === 'profiles') candidates = Object.keys(readProfiles(profileFilePath()).profiles);
      else candidates = await serviceNames(words.slice(0, -1));
    }
    for (const c of matching(candidates, typed)) console.log(c);
  } catch {
    // a server that is down or a broken profile file: offer nothing rather than an error in the prompt
  }
  return 0;
}
