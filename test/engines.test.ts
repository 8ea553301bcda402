import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { test } from 'tap'

const root = new URL('../', import.meta.url)
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { engines: { node: string } }

/** Requires `name` from a CommonJS script in a child Node, with `flags`: its exit code and stderr. */
function requireIn (name: string, flags: string[]): { status: number | null, stderr: string } {
  const child = spawnSync(process.execPath, [...flags, '-e', `require(${JSON.stringify(name)})`], { cwd: root, encoding: 'utf8' })
  return { status: child.status, stderr: child.stderr }
}

test('the Node.js range in package.json and the README starts where require(esm) is on by default', async (t) => {
  // 20.19 and 22.12 turned require(esm) on by default; 22.0-22.11 kept it behind a flag.
  t.equal(pkg.engines.node, '^20.19.0 || >=22.12.0')
  const readme = readFileSync(new URL('README.md', root), 'utf8')
  t.match(readme, 'Node.js 20.19 or newer (22.12 or newer on Node 22)')
})

// Why the floor: dependencies that CommonJS code require() are ES modules only (content-disposition
// under @fastify/static, which the server loads at start-up; cookie under light-my-request, which
// fastify.inject loads). Without require(esm) the server does not start. When this test fails,
// they load without it again, and the floor can go back to what the code itself needs (20.12:
// crypto.hash, process.loadEnvFile).
test('without require(esm) the server\'s dependencies do not load', async (t) => {
  for (const name of ['@fastify/static', 'light-my-request']) {
    t.equal(requireIn(name, []).status, 0, `${name} loads on this Node`)
    const without = requireIn(name, ['--no-experimental-require-module'])
    t.not(without.status, 0, `${name} does not load without require(esm)`)
    t.match(without.stderr, 'ERR_REQUIRE_ESM')
  }
})

test('the image runs a Node.js line the range allows and that still gets security fixes, in both stages', async (t) => {
  const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8')
  const lines = [...dockerfile.matchAll(/^FROM node:(\d+)-/gm)].map((match) => Number(match[1]))
  t.equal(lines.length, 2, 'a build stage and a runtime stage')
  t.equal(lines[0], lines[1], 'both on one line')
  // Node's long-term support lines are the even ones; 20 ended in April 2026, 22 ends in April
  // 2027. Each is within package.json's engines (>=22.12.0, which the first test holds).
  t.ok(lines[0]! % 2 === 0 && lines[0]! >= 22, `node:${lines[0]} is a supported LTS line`)
})
