import type { TableSchema } from './api.js'

/**
 * The schema browser (a WAI-ARIA tree): the database's tables, each opening to its columns with
 * their types, keys and what they reference (a table's or column's comment is its tooltip). Enter or a click
 * on a name hands it to `insert` (the editor writes it at its cursor, quoted where it must be);
 * arrow keys move between items, Right and Left open and close a table.
 */
export function renderSchemaTree (tree: HTMLElement, database: string, tables: TableSchema[], insert: (name: string) => void): void {
  const item = (label: string, detail: string, name: string, level: number, comment = '') => {
    const li = document.createElement('li')
    li.setAttribute('role', 'treeitem')
    li.setAttribute('aria-level', String(level))
    li.tabIndex = -1
    if (comment !== '') li.title = comment
    li.append(Object.assign(document.createElement('span'), { className: 'name', textContent: label }))
    if (detail !== '') li.append(Object.assign(document.createElement('span'), { className: 'type', textContent: detail }))
    li.addEventListener('click', (event) => {
      event.stopPropagation()
      if ((event.target as HTMLElement).classList.contains('name')) insert(name)
      if (level === 1) li.setAttribute('aria-expanded', String(li.getAttribute('aria-expanded') !== 'true'))
    })
    return li
  }
  const list = document.createElement('ul')
  list.setAttribute('role', 'group')
  for (const table of tables) {
    const li = item(table.name, '', table.name, 1, table.comment)
    li.setAttribute('aria-expanded', 'false')
    const columns = document.createElement('ul')
    columns.setAttribute('role', 'group')
    const referenced = references(table, database)
    columns.append(...table.columns.map((column) => item(column.name, `${column.type}${column.key === 'PRI' ? ' · primary key' : column.key === 'UNI' ? ' · unique' : column.key === 'MUL' ? ' · indexed' : ''}${column.nullable ? '' : ' · not null'}${referenced.get(column.name) ?? ''}`, column.name, 2, column.comment)))
    li.append(columns)
    list.append(li)
  }
  tree.replaceChildren(...list.children)
  const first = tree.querySelector<HTMLElement>('[role="treeitem"]')
  if (first !== null) first.tabIndex = 0
  tree.onkeydown = (event) => keyInTree(event, tree, insert)
}

/** ` → table.column` for each column of a foreign key of `table`, by column name (the database named too when it is not `current`). */
function references (table: TableSchema, current: string): Map<string, string> {
  const shown = new Map<string, string>()
  for (const key of table.foreign_keys ?? []) {
    const { database, table: target, columns } = key.references
    const prefix = database === current ? target : `${database}.${target}`
    key.columns.forEach((column, i) => shown.set(column, `${shown.get(column) ?? ''} → ${prefix}.${columns[i] ?? ''}`))
  }
  return shown
}

function keyInTree (event: KeyboardEvent, tree: HTMLElement, insert: (name: string) => void): void {
  const items = [...tree.querySelectorAll<HTMLElement>('[role="treeitem"]')].filter((el) => el.offsetParent !== null)
  const current = document.activeElement as HTMLElement
  const at = items.indexOf(current)
  if (at === -1) return
  const go = (to: HTMLElement | undefined) => {
    if (to === undefined) return
    current.tabIndex = -1
    to.tabIndex = 0
    to.focus()
  }
  if (event.key === 'ArrowDown') go(items[at + 1])
  else if (event.key === 'ArrowUp') go(items[at - 1])
  else if (event.key === 'ArrowRight' && current.getAttribute('aria-expanded') === 'false') current.setAttribute('aria-expanded', 'true')
  else if (event.key === 'ArrowLeft' && current.getAttribute('aria-expanded') === 'true') current.setAttribute('aria-expanded', 'false')
  else if (event.key === 'Enter') insert(current.querySelector('.name')?.textContent ?? '') // the label is the name
  else return
  event.preventDefault()
}
