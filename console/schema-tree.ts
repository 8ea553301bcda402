import type { TableSchema } from './api.js'

/**
 * The schema browser (a WAI-ARIA tree): the database's tables, each opening to its columns with
 * their types and keys. Enter or a click on a name hands it to `insert` (the editor writes it at
 * its cursor, quoted where it must be); arrow keys move between items, Right and Left open and
 * close a table.
 */
export function renderSchemaTree (tree: HTMLElement, tables: TableSchema[], insert: (name: string) => void): void {
  const item = (label: string, detail: string, name: string, level: number) => {
    const li = document.createElement('li')
    li.setAttribute('role', 'treeitem')
    li.setAttribute('aria-level', String(level))
    li.tabIndex = -1
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
    const li = item(table.name, '', table.name, 1)
    li.setAttribute('aria-expanded', 'false')
    const columns = document.createElement('ul')
    columns.setAttribute('role', 'group')
    columns.append(...table.columns.map((column) => item(column.name, `${column.type}${column.key === 'PRI' ? ' · primary key' : column.key === 'UNI' ? ' · unique' : column.key === 'MUL' ? ' · indexed' : ''}${column.nullable ? '' : ' · not null'}`, column.name, 2)))
    li.append(columns)
    list.append(li)
  }
  tree.replaceChildren(...list.children)
  const first = tree.querySelector<HTMLElement>('[role="treeitem"]')
  if (first !== null) first.tabIndex = 0
  tree.onkeydown = (event) => keyInTree(event, tree, insert)
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
