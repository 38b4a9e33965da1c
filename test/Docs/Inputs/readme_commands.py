#!/usr/bin/env python3
"""The README's shell commands as tests (standard library only).

A shell command is one logical line (backslash continuations joined) of a
fenced ```sh / ```bash / ```shell block of README.md; a block belongs to the
nearest heading above it, its section. Every such command is either run by a
lit test, through `script` below, or named in the registry
(readme-commands.txt beside this file) with what else covers it or why
nothing runs it. `check` fails when one is neither, so that a new README
command cannot go untested.

  readme_commands.py list README
      Prints every shell command: section, block, README line, and what the
      registry says of it.

  readme_commands.py script README SECTION [--block N] [--features F,...]
                     [--replace='OLD -> NEW']...
      Prints a bash script that runs the shell blocks of SECTION (or only
      its N-th shell block, from 1) command by command, as written, from
      the current directory. SECTION is a heading or its GitHub anchor (the
      anchor where the heading names a tool that lit would substitute in a
      RUN line: bundles-kvcache-compile-and-kvcache-run). Before each
      command the script prints `README$ COMMAND`; a command that fails
      stops it with its exit status and a line naming the command.
      Commands the registry excludes or covers elsewhere are not run (a line
      says so), nor those it marks `requires: F` unless F is in --features.
      --replace substitutes text in the commands first (what a README
      comment such as "# or sm_90a" asks of the reader).
      `check` finds the tests that run a section by this invocation in
      their RUN lines (README, SECTION and the options as shell words).

  readme_commands.py workdir DIR SOURCE BUILD
      Makes DIR a stand-in for the source root that the README's commands
      run from: a link to each top-level entry of SOURCE (not the build
      trees), and `build` linked to BUILD. What the commands write lands in
      DIR.

  readme_commands.py check README TESTDIR [--registry FILE]
      Checks that every shell command is run by a test under TESTDIR (a
      `script` invocation of its section and block; for a `requires: F`
      command, one with F in --features in a test that REQUIRES F) or is
      registered as excluded (with a reason) or covered-by a test that
      contains the command verbatim; that every registry record names a
      command the README has; that every `script` invocation names a
      section and block the README has; and that every fenced block names
      its language. Prints one line per command and a summary; exit 1 on
      any failure.

Registry records are separated by blank lines; `#` lines are comments:

  command: the command as the README writes it, on one line
  excluded: why no test runs it            (or)
  covered-by: PATH (under TESTDIR), which holds the command verbatim
  requires: a lit feature (the test running it REQUIRES it)
  why: a reason (required with covered-by and requires)
  see: PATH (under TESTDIR) of a test covering part of it (optional)

Commands are compared by their words (shlex, comments dropped), so spacing
and a trailing `# comment` do not matter.
"""
import argparse
import os
import re
import shlex
import sys

SHELL_LANGUAGES = {"sh", "bash", "shell", "console"}
FENCE = re.compile(r"^ {0,3}(```+|~~~+)\s*([^\s`]*)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
REGISTRY = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "readme-commands.txt")


class Command:
    def __init__(self, section, block, line, text):
        self.section = section  # heading text
        self.block = block      # 1-based, among the section's shell blocks
        self.line = line        # README line of its first physical line
        self.text = text        # as written, continuation lines included
        self.one_line = re.sub(r"\s*\\\n\s*", " ", text).strip()
        self.key = command_key(text)


def command_key(text):
    joined = re.sub(r"\\\n", " ", text)
    try:
        return " ".join(shlex.split(joined, comments=True))
    except ValueError:
        return " ".join(joined.split())


def parse_readme(path):
    """Returns (commands, problems): every shell command, and the fenced
    blocks that name no language."""
    commands, problems = [], []
    section, shell_blocks = "", {}
    fence, language, start, body = None, None, 0, []
    with open(path) as f:
        lines = f.read().split("\n")
    for number, line in enumerate(lines, 1):
        if fence is None:
            m = FENCE.match(line)
            if m:
                fence, language, start, body = m.group(1), m.group(2), number, []
                continue
            h = HEADING.match(line)
            if h:
                section = h.group(2)
            continue
        if line.strip().startswith(fence[0] * len(fence)) and \
                line.strip().strip(fence[0]) == "":
            if not language:
                problems.append(f"{path}:{start}: a fenced block with no "
                                "language: name it (```sh for commands)")
            elif language in SHELL_LANGUAGES:
                shell_blocks[section] = shell_blocks.get(section, 0) + 1
                commands += split_commands(section, shell_blocks[section],
                                           start + 1, body)
            fence = None
            continue
        body.append(line)
    if fence is not None:
        problems.append(f"{path}:{start}: a fenced block is never closed")
    return commands, problems


def split_commands(section, block, first_line, body):
    commands, current, current_line = [], [], 0
    for offset, line in enumerate(body):
        if not current:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            current_line = first_line + offset
        current.append(line)
        if not line.endswith("\\"):
            commands.append(Command(section, block, current_line,
                                    "\n".join(current)))
            current = []
    if current:
        commands.append(Command(section, block, current_line, "\n".join(current)))
    return commands


def parse_registry(path):
    records, record, problems = [], {}, []
    with open(path) as f:
        lines = f.read().split("\n") + [""]
    for number, line in enumerate(lines, 1):
        if line.startswith("#"):
            continue
        if not line.strip():
            if record:
                records.append(record)
            record = {}
            continue
        m = re.match(r"^(command|excluded|covered-by|requires|why|see):\s*(.*)$", line)
        if m:
            key, value = m.groups()
            if key in record:
                problems.append(f"{path}:{number}: a second '{key}:' in one record")
            record[key] = value.strip()
            record.setdefault("line", number)
        elif record and line.startswith((" ", "\t")) and record:
            last = [k for k in record if k != "line"][-1]
            record[last] += " " + line.strip()
        else:
            problems.append(f"{path}:{number}: not a registry line: {line!r}")
    for r in records:
        where = f"{path}:{r['line']}"
        kinds = [k for k in ("excluded", "covered-by", "requires") if k in r]
        if "command" not in r:
            problems.append(f"{where}: a record without 'command:'")
        elif len(kinds) != 1:
            problems.append(f"{where}: '{r['command']}' needs exactly one of "
                            "'excluded:', 'covered-by:', 'requires:'")
        elif kinds[0] != "excluded" and not r.get("why"):
            problems.append(f"{where}: '{r['command']}': '{kinds[0]}:' needs a 'why:'")
        elif kinds[0] == "excluded" and not r["excluded"]:
            problems.append(f"{where}: '{r['command']}': 'excluded:' needs the reason")
        if "command" in r:
            r["key"] = command_key(r["command"])
    return records, problems


def registry_record(records, command):
    for r in records:
        if r.get("key") == command.key:
            return r
    return None


def anchor(heading):
    """The heading's GitHub anchor: `## Bundles: kvcache-compile and
    kvcache-run` is bundles-kvcache-compile-and-kvcache-run."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def section_commands(commands, section, block=None):
    """The commands of the section whose heading or anchor is `section`."""
    return [c for c in commands if section in (c.section, anchor(c.section)) and
            (block is None or c.block == block)]


def cmd_list(args):
    commands, problems = parse_readme(args.readme)
    records, more = parse_registry(args.registry)
    for c in commands:
        r = registry_record(records, c) or {}
        fate = next((f"{k}: {r[k]}" for k in ("excluded", "covered-by", "requires")
                     if k in r), "run by a test")
        print(f"{c.section} #{c.block} (line {c.line}): {c.one_line}\n    {fate}")
    for p in problems + more:
        print(p, file=sys.stderr)
    return 1 if problems or more else 0


def cmd_script(args):
    commands, problems = parse_readme(args.readme)
    records, more = parse_registry(args.registry)
    if problems or more:
        for p in problems + more:
            print(p, file=sys.stderr)
        return 1
    chosen = section_commands(commands, args.section, args.block)
    if not chosen:
        print(f"{args.readme}: no shell commands in section '{args.section}'"
              + (f" block {args.block}" if args.block else ""), file=sys.stderr)
        return 1
    features = set(f for f in (args.features or "").split(",") if f)
    out = ["#!/usr/bin/env bash",
           f"# Generated from {args.readme}, section '{args.section}'"
           + (f", shell block {args.block}" if args.block else "") + "."]
    for c in chosen:
        text, one_line = c.text, c.one_line
        for replace in args.replace or []:
            old, _, new = replace.partition(" -> ")
            text, one_line = text.replace(old, new), one_line.replace(old, new)
        r = registry_record(records, c) or {}
        skip = None
        if "excluded" in r:
            skip = "excluded"
        elif "covered-by" in r:
            skip = f"covered by {r['covered-by']}"
        elif "requires" in r and r["requires"] not in features:
            skip = f"requires {r['requires']}"
        if skip:
            out.append(f"printf '%s\\n' {shlex.quote(f'README: not run ({skip}): {one_line}')}")
            continue
        out.append(f"printf '%s\\n' {shlex.quote('README$ ' + one_line)}")
        out.append(text)
        out.append("status=$?")
        out.append("if [ $status -ne 0 ]; then printf 'README: exit status %s: %s\\n' "
                   f"\"$status\" {shlex.quote(f'{one_line} (README.md line {c.line})')} >&2; "
                   "exit $status; fi")
    print("\n".join(out))
    return 0


def cmd_workdir(args):
    os.makedirs(args.dir, exist_ok=True)
    for name in sorted(os.listdir(args.source)):
        if name.startswith("build") or name.startswith(".git"):
            continue
        link = os.path.join(args.dir, name)
        if not os.path.lexists(link):
            os.symlink(os.path.join(os.path.abspath(args.source), name), link)
    link = os.path.join(args.dir, "build")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(os.path.abspath(args.build), link)
    return 0


def run_lines(text):
    """The RUN: commands of a lit test, continuation lines joined."""
    runs, current = [], ""
    for line in text.split("\n"):
        m = re.search(r"\bRUN:(.*)$", line)
        if not m:
            continue
        part = m.group(1).strip()
        if part.endswith("\\"):
            current += part[:-1] + " "
            continue
        runs.append(current + part)
        current = ""
    return runs


def find_invocations(testdir):
    """(test path relative to testdir, section, block, features, requires)
    for each `readme_commands.py script` invocation in a test."""
    found = []
    for root, dirs, files in os.walk(testdir):
        dirs[:] = sorted(d for d in dirs if d != "Inputs")
        for name in sorted(files):
            if not name.endswith((".test", ".mlir")):
                continue
            path = os.path.join(root, name)
            text = open(path, errors="replace").read()
            if "readme_commands.py" not in text:
                continue
            requires = set()
            for m in re.finditer(r"\bREQUIRES:(.*)$", text, re.M):
                requires |= {f.strip() for f in m.group(1).split(",") if f.strip()}
            for run in run_lines(text):
                for m in re.finditer(r"readme_commands\.py\s+script\s", run):
                    try:
                        words = shlex.split(run[m.end():])
                    except ValueError:
                        continue
                    end = next((i for i, w in enumerate(words)
                                if w in ("|", "&&", "||", ";") or w.startswith(">")),
                               len(words))
                    words = words[:end]
                    if len(words) < 2:
                        continue
                    block, feats = None, set()
                    for i, w in enumerate(words):
                        value = (w.split("=", 1)[1] if "=" in w else
                                 words[i + 1] if i + 1 < len(words) else "")
                        if w.startswith("--block"):
                            block = int(value)
                        elif w.startswith("--features"):
                            feats = set(value.split(","))
                    found.append((os.path.relpath(path, testdir), words[1], block,
                                  feats, requires))
    return found


def cmd_check(args):
    commands, problems = parse_readme(args.readme)
    records, more = parse_registry(args.registry)
    problems += more
    invocations = find_invocations(args.testdir)
    for test, section, block, _, _ in invocations:
        if not section_commands(commands, section, block):
            problems.append(f"{test}: runs section '{section}'"
                            + (f" block {block}" if block else "")
                            + f", which has no shell commands in {args.readme}")
    for r in records:
        if "key" in r and not any(c.key == r["key"] for c in commands):
            problems.append(f"{args.registry}:{r['line']}: '{r['command']}' is "
                            f"no command of {args.readme} (any more): drop the record")
        for key in ("covered-by", "see"):
            if key in r and not os.path.isfile(os.path.join(args.testdir, r[key])):
                problems.append(f"{args.registry}:{r['line']}: {key} {r[key]}: "
                                f"no such test under {args.testdir}")
    counts = {"run": 0, "covered": 0, "excluded": 0}
    for c in commands:
        r = registry_record(records, c) or {}
        runners = [i for i in invocations if i[1] in (c.section, anchor(c.section))
                   and i[2] in (None, c.block)]
        where = f"{args.readme}:{c.line}: `{c.one_line}`"
        if "excluded" in r:
            counts["excluded"] += 1
            print(f"excluded    {where}\n    {r['excluded']}")
        elif "covered-by" in r:
            path = os.path.join(args.testdir, r["covered-by"])
            bare = re.sub(r"\s+#\s.*$", "", c.one_line)
            verbatim = re.compile(r"(?<![\w./=-])" + re.escape(bare) + r"(?![\w./=-])")
            if os.path.isfile(path) and not verbatim.search(open(path).read()):
                problems.append(f"{where}: {r['covered-by']} does not hold the "
                                "command verbatim")
            counts["covered"] += 1
            print(f"covered-by  {where}\n    {r['covered-by']}")
        else:
            feature = r.get("requires")
            if feature:
                runners = [i for i in runners if feature in i[3] and feature in i[4]]
            if not runners:
                problems.append(
                    f"{where} (section '{c.section}', shell block {c.block}) is "
                    "run by no test" + (f" that REQUIRES {feature} and passes "
                                        f"--features {feature}" if feature else "")
                    + ": run it from a test with `readme_commands.py script`, or "
                    f"record in {os.path.basename(args.registry)} why not")
                continue
            counts["run"] += 1
            tests = sorted({i[0] for i in runners})
            print(f"run         {where}\n    {', '.join(tests)}"
                  + (f" (REQUIRES {feature})" if feature else ""))
    for p in problems:
        print(f"error: {p}")
    print(f"{len(commands)} shell commands: {counts['run']} run by tests through "
          f"readme_commands.py, {counts['covered']} covered by other tests, "
          f"{counts['excluded']} excluded; {len(problems)} problems")
    return 1 if problems else 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("list", "script", "check"):
        s = sub.add_parser(name)
        s.add_argument("readme")
        s.add_argument("--registry", default=REGISTRY)
        if name == "script":
            s.add_argument("section")
            s.add_argument("--block", type=int)
            s.add_argument("--features")
            s.add_argument("--replace", action="append", metavar="'OLD -> NEW'")
        if name == "check":
            s.add_argument("testdir")
    w = sub.add_parser("workdir")
    w.add_argument("dir")
    w.add_argument("source")
    w.add_argument("build")
    args = p.parse_args()
    return {"list": cmd_list, "script": cmd_script, "check": cmd_check,
            "workdir": cmd_workdir}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
