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

/** Privileges that reach the rows of tables (reading them, changing them, or running routines on them). */
const DATA_PRIVILEGES = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'ALL', 'ALL PRIVILEGES', 'EXECUTE', 'SHOW VIEW'])

/**
 * Whether SHOW GRANTS output gives the user a data privilege on every database (`ON *.*`): such a
 * user reaches the system schemas and any other database by a qualified name, whichever database
 * a session selected. (USAGE is no privilege, and administrative ones such as PROCESS read no rows.)
 */
export function grantsEveryDatabase (grants: string[]): boolean {
  return grants.some((grant) => {
    const match = /^GRANT\s+(.+?)\s+ON\s+\*\.\*\s+TO\s+/i.exec(grant)
    return match !== null && match[1]!.split(',').some((privilege) => DATA_PRIVILEGES.has(privilege.trim().toUpperCase()))
  })
}
