/**
 * A small getopt for the procctl CLI: long options (`--name`, `--name=value`),
 * short options (`-s`, `-e 143`, `-e143`), `--` ending options, and the first
 * operand ending them too (so `procctl init cmd --flag` passes `--flag` on).
 */

/**
 * Thrown for a usage error; the CLI prints `procctl <cmd>: <message>` and exits 2.
 * Unless `saysWhatToDo`, the CLI adds where to read the command's options.
 */
export class UsageError extends Error {
  override name = 'UsageError';

  constructor(
    message: string,
    readonly saysWhatToDo = false,
  ) {
    super(message);
  }
}

export interface OptionSpec {
  /** Long name without dashes. */
  long: string;
  /** One-letter short name, if any. */
  short?: string;
  /** Takes a value. */
  value?: boolean;
  /** May be given more than once (values collected in order). */
  repeat?: boolean;
}

export interface ParsedArgs {
  /** long name -> values (flags get `['']` per occurrence). */
  options: Map<string, string[]>;
  /** Everything after the options. */
  operands: string[];
}

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const options = new Map<string, string[]>();
  const add = (spec: OptionSpec, value: string): void => {
    const list = options.get(spec.long);
    if (list && !spec.repeat) throw new UsageError(`option --${spec.long} given more than once`);
    if (list) list.push(value);
    else options.set(spec.long, [value]);
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(`unknown option '--${name}'`);
      if (spec.value) {
        let value: string | undefined;
        if (eq >= 0) value = arg.slice(eq + 1);
        else if (i + 1 < argv.length) value = argv[++i];
        if (value === undefined) throw new UsageError(`option --${name} needs a value`);
        add(spec, value);
      } else {
        if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
        add(spec, '');
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // Grouped short flags (-sv); a value-taking letter takes the rest or the next arg.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const spec = byShort.get(letter);
        if (!spec) throw new UsageError(`unknown option '-${letter}'`);
        if (spec.value) {
          let value: string | undefined = arg.slice(j + 1);
          if (value === '') value = i + 1 < argv.length ? argv[++i] : undefined;
          if (value === undefined) throw new UsageError(`option -${letter} needs a value`);
          add(spec, value);
          break;
        }
        add(spec, '');
      }
      continue;
    }
    break;
  }
  return { options, operands: argv.slice(i) };
}
