import fp from 'fastify-plugin'
import type { RowDataPacket } from 'mysql2/promise'
import { grantsEveryDatabase, writePrivileges } from './grants.js'

/**
 * The database user's grants are the layers of protection no statement check can replace, so
 * start-up reads them and warns clearly:
 * - with READ_ONLY=true, when the user could write (the classifier refuses writes, and
 *   MariaDB/MySQL run each connection read-only; a user that can only read is the third layer,
 *   and on TiDB the second);
 * - in either mode, when the user has privileges on every database: the selected database is only
 *   the default for unqualified names, and `SELECT * FROM other_db.t` names another one.
 */
export default fp(async function grantsCheckPlugin (fastify) {
  const { READ_ONLY } = fastify.config
  fastify.addHook('onReady', async () => {
    let grants: string[]
    try {
      const rows = await fastify.mysql.query<RowDataPacket[]>('SHOW GRANTS')
      grants = rows.map((row) => String(Object.values(row)[0]))
    } catch (err) {
      fastify.log.warn({ err }, 'could not read the database user\'s grants; check them by hand (see README, "Read-only")')
      return
    }
    if (grantsEveryDatabase(grants)) {
      fastify.log.warn('The database user has privileges on every database (ON *.*): a statement can name tables of databases this gateway does not serve, the system schemas included. A session\'s database is only the default for unqualified names; grant the user privileges on the served databases only (see README, "Read-only").')
    }
    const privileges = READ_ONLY ? writePrivileges(grants) : []
    if (privileges.length > 0) {
      fastify.log.warn({ privileges },
        'READ_ONLY=true, but the database user can write. Statements are still classified and writes refused, but use a user that can only SELECT (see README, "Read-only").')
    }
  })
}, { name: 'grants-check', dependencies: ['config', 'mysql'] })
