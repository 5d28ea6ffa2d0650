// Every source a Dockerfile COPYs from the build context must survive .dockerignore: a build that
// filters one out fails ("no items matching glob ... filtered out using .dockerignore") only when it
// gets that far, minutes into a podman/docker build. This check reads both files and fails in a second.
//   node dockerignore.mjs REPO_DIR              check REPO_DIR/Dockerfile against REPO_DIR/.dockerignore
//   node dockerignore.mjs --self-test REPO_DIR  the check must catch planted mistakes
// Sources are matched against the files git tracks (what a clean clone has). .dockerignore follows
// Docker's rules: patterns in order, the last one matching a path or any of its parent directories
// decides, `!` re-includes, `*` and `?` stop at `/`, `**` spans directories.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

/** Regex for one .dockerignore or COPY glob (Go filepath.Match plus Docker's `**`). */
function globRegex(glob) {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*" && glob[i + 1] === "*") {
      i++;
      if (glob[i + 1] === "/") { i++; re += "(?:.*/)?"; } else re += ".*";
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i);
      re += end < 0 ? "\\[" : glob.slice(i, end + 1).replace("[!", "[^");
      if (end >= 0) i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

const clean = (p) => path.posix.normalize(p.replace(/^\/+/, "")).replace(/\/+$/, "") || ".";

export function parseIgnore(text) {
  return text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#")).map((l) => {
    const negated = l.startsWith("!");
    return { negated, re: globRegex(clean(negated ? l.slice(1).trim() : l)) };
  });
}

/** True when `file` (a context-relative path) is left out of the build context. */
export function ignored(patterns, file) {
  const parents = file.split("/").map((_, i, parts) => parts.slice(0, i + 1).join("/"));
  let out = false;
  for (const p of patterns) if (parents.some((x) => p.re.test(x))) out = !p.negated;
  return out;
}

/** The context sources of every COPY/ADD without --from (JSON or shell form), with their line numbers. */
export function copySources(dockerfile) {
  const lines = dockerfile.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  const out = [];
  lines.forEach((line, n) => {
    const m = line.trim().match(/^(COPY|ADD)\s+(.*)$/i);
    if (!m) return;
    let args = m[2].trim();
    const flags = [];
    while (args.startsWith("--")) {
      const [flag, ...rest] = args.split(/\s+/);
      flags.push(flag);
      args = rest.join(" ");
    }
    if (flags.some((f) => f.startsWith("--from="))) return;
    const words = args.startsWith("[") ? JSON.parse(args) : args.split(/\s+/);
    for (const src of words.slice(0, -1)) if (!/^https?:\/\//.test(src)) out.push({ line: n + 1, src });
  });
  return out;
}

/** Problems: each COPY source must match tracked files, and every one of them must survive .dockerignore. */
export function check(dockerfile, dockerignore, files) {
  const patterns = parseIgnore(dockerignore);
  const problems = [];
  for (const { line, src } of copySources(dockerfile)) {
    const re = globRegex(clean(src));
    const matched = files.filter((f) => f.split("/").some((_, i, parts) => re.test(parts.slice(0, i + 1).join("/"))));
    if (matched.length === 0) { problems.push(`Dockerfile:${line}: COPY ${src}: no tracked file matches`); continue; }
    const lost = matched.filter((f) => ignored(patterns, f));
    if (lost.length) {
      problems.push(`Dockerfile:${line}: COPY ${src}: ${lost.length} of ${matched.length} files filtered out by .dockerignore (${lost.slice(0, 3).join(", ")})`);
    }
  }
  return problems;
}

function selfTest(dockerfile, dockerignore, files) {
  const cases = [
    ["the original bug: image/ not admitted", dockerfile, dockerignore.replace(/^!image\/.*$/m, "")],
    ["everything ignored", dockerfile, "*\n"],
    ["a later pattern excludes part of src/", dockerfile, `${dockerignore}\nsrc/main/resources\n`],
    ["a COPY of a file that is not tracked", `${dockerfile}\nCOPY no-such-file /x\n`, dockerignore],
  ];
  let failed = 0;
  for (const [name, df, di] of cases) {
    const caught = check(df, di, files).length > 0;
    console.log(`   ${caught ? "caught" : "MISSED"}: ${name}`);
    if (!caught) failed++;
  }
  if (check("FROM x\nCOPY --from=build /a /b\nCOPY [\"pom.xml\", \"/x/\"]\n", "*\n!pom.xml\n", ["pom.xml"]).length) {
    console.log("   MISSED: --from and JSON form must be accepted");
    failed++;
  }
  return failed === 0;
}

const args = process.argv.slice(2);
const self = args[0] === "--self-test";
const repo = path.resolve(self ? args[1] : args[0] || ".");
const dockerfile = readFileSync(path.join(repo, "Dockerfile"), "utf8");
const dockerignore = readFileSync(path.join(repo, ".dockerignore"), "utf8");
const files = execFileSync("git", ["-C", repo, "ls-files"], { encoding: "utf8" }).split("\n").filter(Boolean);
if (self) process.exit(selfTest(dockerfile, dockerignore, files) ? 0 : 1);
const problems = check(dockerfile, dockerignore, files);
for (const p of problems) console.log(`   ${p}`);
console.log(`   ${copySources(dockerfile).length} COPY sources from the context checked against .dockerignore`);
process.exit(problems.length ? 1 : 0);
