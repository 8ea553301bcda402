import t from 'tap'
import { toAppError } from '../../../../plugins/app/errors/mysql-errors.js'

/** What the server said, as mysql2 hands it over. */
const serverError = (errno: number, sqlState: string, sqlMessage: string) =>
  Object.assign(new Error(sqlMessage), { errno, sqlState, sqlMessage })

t.test('server errors: the statement\'s own faults are 400; conflicts and a server out of resources say a retry may succeed', async (t) => {
  const cases: Array<[number, string, number, string]> = [
    [1146, '42S02', 400, 'sql_error'],
    [1064, '42000', 400, 'sql_error'],
    [1205, 'HY000', 409, 'lock_conflict'],
    [1213, '40001', 409, 'lock_conflict'],
    [9007, 'HY000', 409, 'lock_conflict'],
    [1461, '42000', 503, 'database_busy'],
    [1041, 'HY000', 503, 'database_busy']
  ]
  for (const [errno, sqlState, status, code] of cases) {
    const mapped = toAppError(serverError(errno, sqlState, `message ${errno}`))
    t.strictSame([mapped.statusCode, mapped.code], [status, code], String(errno))
    t.match(mapped.toJSON(), { errno, sql_state: sqlState }, `${errno}: the server's errno and SQLSTATE`)
    t.match(mapped.message, `message ${errno}`, `${errno}: and its message`)
    t.equal(mapped.headers?.['retry-after'], status === 400 ? undefined : '1', `${errno}: Retry-After when a retry may succeed`)
  }
})
