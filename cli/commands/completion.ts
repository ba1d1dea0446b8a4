// `vmj completion bash|zsh`: a completion script generated from the command tree itself, so it never
// falls behind the commands. zsh loads the bash function through bashcompinit (as az does).
import { type Command, type Option } from 'commander';

import { UsageError } from '../errors';

interface Node {
  path: string;
  subcommands: string[];
  options: string[];
  /** Values of options with choices, e.g. -o → table json. */
  choices: [string, string[]][];
  /** The command's first argument is an existing VM's name (completed from `vmj vm list -o tsv`). */
  takesVm: boolean;
}

function walk(cmd: Command, path: string[], out: Node[], globals: readonly Option[]): void {
  const options = [...cmd.options, ...(path.length ? globals : [])];
  out.push({
    path: path.join(' '),
    takesVm: cmd.registeredArguments[0]?.name() === 'name' && cmd.name() !== 'create',
    subcommands: cmd.commands.map((c) => c.name()),
    options: [...options.flatMap((o) => [o.short, o.long].filter((f): f is string => !!f)), '--help'],
    choices: options.flatMap((o) =>
      o.argChoices
        ? [o.short, o.long].filter((f): f is string => !!f).map((f): [string, string[]] => [f, o.argChoices!])
        : [],
    ),
  });
  for (const c of cmd.commands) walk(c, [...path, c.name()], out, globals);
}

export function bashScript(program: Command): string {
  const nodes: Node[] = [];
  walk(program, [], nodes, program.options);
  const cases = nodes
    .map((n) => {
      const choice = n.choices.map(
        ([f, v]) => `        ${f}) COMPREPLY=($(compgen -W "${v.join(' ')}" -- "$cur")); return;;`,
      );
      return [
        `    "${n.path}")`,
        `      case "$prev" in`,
        ...choice,
        `      esac`,
        ...(n.takesVm ? ['      vms_=1'] : []),
        `      words_="${[...n.subcommands, ...n.options].join(' ')}";;`,
      ].join('\n');
    })
    .join('\n');
  const known = nodes.map((n) => n.path).filter(Boolean);
  return `# vmj bash completion. Load it with: source <(vmj completion bash)
_vmj() {
  local cur prev path_ w i words_ vms_
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  path_=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case " ${known.join('|')} " in
      *"|\${path_:+$path_ }$w|"* | *" \${path_:+$path_ }$w|"* | *"|\${path_:+$path_ }$w "* | *" \${path_:+$path_ }$w "*) path_="\${path_:+$path_ }$w";;
    esac
  done
  case "$path_" in
${cases}
  esac
  # Right after a command that takes a VM name, offer the names the API knows.
  if [[ -n "$vms_" && "$prev" == "\${path_##* }" && "$cur" != -* ]]; then
    words_="$(vmj vm list -o tsv 2>/dev/null | cut -f1)"
  fi
  COMPREPLY=($(compgen -W "$words_" -- "$cur"))
}
complete -F _vmj vmj
`;
}

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash or zsh)')
    .argument('<shell>', 'bash or zsh')
    .addHelpText(
      'after',
      '\nExamples:\n  $ source <(vmj completion bash)            # bash, this shell\n  $ vmj completion bash > /etc/bash_completion.d/vmj\n  $ source <(vmj completion zsh)             # zsh (~/.zshrc)\n',
    )
    .action((shell: string) => {
      if (shell === 'bash') process.stdout.write(bashScript(program));
      else if (shell === 'zsh')
        process.stdout.write(
          `#compdef vmj\n# vmj zsh completion (the bash function through bashcompinit)\nautoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(program)}`,
        );
      else throw new UsageError(`completion: '${shell}' is not bash or zsh`);
    });
}
