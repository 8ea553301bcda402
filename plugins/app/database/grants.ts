/** Privileges that cannot change data or hold locks. */
const READ_PRIVILEGES = new Set(['SELECT', 'SHOW VIEW', 'USAGE', 'SHOW DATABASES'])

/** Privileges that reach the rows of tables (reading them, changing them, or running routines on them). */
const DATA_PRIVILEGES = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'ALL', 'ALL PRIVILEGES', 'EXECUTE', 'SHOW VIEW'])

/**
 * A SHOW GRANTS line that grants privileges (`GRANT <privileges> ON <what> TO ...`): its
 * privileges, upper-cased, and whether they are on every database (`ON *.*`). Null for any other
 * line (a granted role).
 */
function privilegeGrant (grant: string): { privileges: string[], everyDatabase: boolean } | null {
  const match = /^GRANT\s+(.+?)\s+ON\s+(.*)$/is.exec(grant)
  if (match === null) return null
  return {
    // Column lists hold commas of their own: SELECT (a, b), INSERT (c)
    privileges: match[1]!.replace(/\([^)]*\)/g, '').split(',').map((raw) => raw.trim().toUpperCase()),
    everyDatabase: /^\*\.\*\s/.test(match[2]!)
  }
}

/**
 * The privileges in SHOW GRANTS output that go beyond reading, e.g. ['ALL PRIVILEGES'] or
 * ['INSERT', 'DELETE', 'GRANT OPTION']. Granted roles are reported as `ROLE <name>`, since their
 * privileges are not listed.
 */
export function writePrivileges (grants: string[]): string[] {
  const found = new Set<string>()
  for (const grant of grants) {
    const parsed = privilegeGrant(grant)
    if (parsed === null) {
      const role = /^GRANT\s+(.+?)\s+TO\s+/i.exec(grant)
      if (role !== null && !/\bPROXY\b/i.test(grant)) found.add(`ROLE ${role[1]}`)
      continue
    }
    for (const privilege of parsed.privileges) {
      if (!READ_PRIVILEGES.has(privilege)) found.add(privilege)
    }
    if (/\bWITH\s+GRANT\s+OPTION\b/i.test(grant)) found.add('GRANT OPTION')
  }
  return [...found]
}

/**
 * Whether SHOW GRANTS output gives the user a data privilege on every database (`ON *.*`): such a
 * user reaches the system schemas and any other database by a qualified name, whichever database
 * a session selected. (USAGE is no privilege, and administrative ones such as PROCESS read no rows.)
 */
export function grantsEveryDatabase (grants: string[]): boolean {
  return grants.some((grant) => {
    const parsed = privilegeGrant(grant)
    return parsed !== null && parsed.everyDatabase && parsed.privileges.some((privilege) => DATA_PRIVILEGES.has(privilege))
  })
}
