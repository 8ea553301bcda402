import fp from 'fastify-plugin'
import type { RowDataPacket } from 'mysql2/promise'
import { writePrivileges } from '../../lib/grants.js'

/**
 * With READ_ONLY=true the classifier refuses writes, and MariaDB/MySQL also run each connection
 * read-only. A database user that can only read is the third layer, and on TiDB the second:
 * at start-up, warn clearly when the configured user could write.
 */
export default fp(async function grantsCheckPlugin (fastify) {
  if (!fastify.config.READ_ONLY) return
  fastify.addHook('onReady', async () => {
    let grants: string[]
    try {
      const rows = await fastify.mysql.query<RowDataPacket[]>('SHOW GRANTS')
      grants = rows.map((row) => String(Object.values(row)[0]))
    } catch (err) {
      fastify.log.warn({ err }, 'could not read the database user\'s grants; check by hand that it can only SELECT')
      return
    }
    const privileges = writePrivileges(grants)
    if (privileges.length > 0) {
      fastify.log.warn({ privileges },
        'READ_ONLY=true, but the database user can write. Statements are still classified and writes refused, but use a user that can only SELECT (see README, "Read-only").')
    }
  })
}, { name: 'grants-check', dependencies: ['config', 'mysql'] })
