import t from 'tap'
import { writePrivileges } from '../../lib/grants.js'

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
