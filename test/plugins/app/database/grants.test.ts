import t from 'tap'
import { grantsEveryDatabase, writePrivileges } from '../../../../plugins/app/database/grants.js'

t.test('SELECT-only grants have no write privileges', async (t) => {
  t.strictSame(writePrivileges([
    "GRANT USAGE ON *.* TO `sqlgate`@`%` IDENTIFIED BY PASSWORD '*X'",
    'GRANT SELECT, SHOW VIEW ON `sales_db`.* TO `sqlgate`@`%`',
    'GRANT SELECT (id, name) ON `hr`.`people` TO `sqlgate`@`%`'
  ]), [])
})

t.test('anything beyond reading is reported', async (t) => {
  t.strictSame(writePrivileges(['GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION']), ['ALL PRIVILEGES', 'GRANT OPTION'])
  t.strictSame(writePrivileges(['GRANT SELECT, INSERT, DELETE ON `db`.* TO `u`@`%`']), ['INSERT', 'DELETE'])
  t.strictSame(writePrivileges(['GRANT `app_writer` TO `u`@`%`']), ['ROLE `app_writer`'])
  t.strictSame(writePrivileges(["GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION"]), ['PROXY', 'GRANT OPTION'])
})

t.test('a data privilege ON *.* reaches every database; USAGE, narrower grants and admin privileges do not', async (t) => {
  t.ok(grantsEveryDatabase(['GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION']))
  t.ok(grantsEveryDatabase(['GRANT USAGE ON *.* TO `u`@`%`', 'GRANT SELECT ON *.* TO `u`@`%`']))
  t.ok(grantsEveryDatabase(['grant process, select on *.* to `u`@`%`']))
  t.notOk(grantsEveryDatabase([
    "GRANT USAGE ON *.* TO `sqlgate`@`%` IDENTIFIED BY PASSWORD '*X'",
    'GRANT SELECT, SHOW VIEW ON `sales_db`.* TO `sqlgate`@`%`',
    'GRANT SELECT (id) ON `hr`.`people` TO `sqlgate`@`%`'
  ]))
  t.notOk(grantsEveryDatabase(['GRANT PROCESS, REPLICATION CLIENT ON *.* TO `monitor`@`%`']))
  t.notOk(grantsEveryDatabase(['GRANT SELECT ON `*`.* TO `u`@`%`']), 'a database literally named *')
})
