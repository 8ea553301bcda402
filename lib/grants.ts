/** Privileges that cannot change data or hold locks. */
const READ_PRIVILEGES = new Set(['SELECT', 'SHOW VIEW', 'USAGE', 'SHOW DATABASES'])

/**
 * The privileges in SHOW GRANTS output that go beyond reading, e.g. ['ALL PRIVILEGES'] or
 * ['INSERT', 'DELETE', 'GRANT OPTION']. Granted roles are reported as `ROLE <name>`, since their
 * privileges are not listed.
 */
export function writePrivileges (grants: string[]): string[] {
  const found = new Set<string>()
  for (const grant of grants) {
    const match = /^GRANT\s+(.+?)\s+ON\s+/i.exec(grant)
    if (match === null) {
      const role = /^GRANT\s+(.+?)\s+TO\s+/i.exec(grant)
      if (role !== null && !/\bPROXY\b/i.test(grant)) found.add(`ROLE ${role[1]}`)
      continue
    }
    // Column lists hold commas of their own: SELECT (a, b), INSERT (c)
    for (const raw of match[1]!.replace(/\([^)]*\)/g, '').split(',')) {
      const privilege = raw.trim().toUpperCase()
      if (!READ_PRIVILEGES.has(privilege)) found.add(privilege)
    }
    if (/\bWITH\s+GRANT\s+OPTION\b/i.test(grant)) found.add('GRANT OPTION')
  }
  return [...found]
}
