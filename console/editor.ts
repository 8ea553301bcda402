import { autocompletion, closeBrackets, closeCompletion, completionKeymap } from '@codemirror/autocomplete'
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands'
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language'
import { MariaSQL, MySQL, sql, type SQLNamespace } from '@codemirror/lang-sql'
import { Compartment, EditorState, StateEffect, StateField, type Extension } from '@codemirror/state'
import { Decoration, EditorView, highlightActiveLine, keymap, lineNumbers, placeholder, type DecorationSet } from '@codemirror/view'
import type { SqlServer } from '../plugins/app/query/sql/server.js'
import { nameQuoter } from './names.js'
import { statementAt as cursorStatement, splitStatements } from './statements.js'

/** Marks the line an error names (`at line 3`); cleared by the next edit or run. */
const markLine = StateEffect.define<number | null>()
const errorLine = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update (marks, transaction) {
    for (const effect of transaction.effects) {
      if (!effect.is(markLine)) continue
      if (effect.value === null || effect.value > transaction.state.doc.lines) return Decoration.none
      return Decoration.set([Decoration.line({ class: 'cm-error-line' }).range(transaction.state.doc.line(effect.value).from)])
    }
    return transaction.docChanged ? Decoration.none : marks.map(transaction.changes)
  },
  provide: (field) => EditorView.decorations.from(field)
})

/** A statement to run: its text, and the editor's line its first line is (to mark an error's line). */
export interface RanStatement {
  text: string
  line: number
}

export interface SqlEditor {
  view: EditorView
  /** The selection when there is one, else the statement under the cursor; closes an open completion list. */
  statement: () => RanStatement
  /** Tables and their columns' names, for completion (written as `insertName` writes them). */
  setSchema: (tables: ReadonlyArray<{ name: string, columns: readonly string[] }>) => void
  markErrorLine: (line: number | null) => void
  /** Writes a table's or column's name at the cursor (in backticks where it must be: ./names.ts), and focuses the editor. */
  insertName: (name: string) => void
  /**
   * Puts a statement (from the history) in the editor, the cursor at its end so Run runs it: in
   * place of the editor's text, or with `keep`, after it (on lines of its own).
   */
  loadStatement: (query: string, keep: boolean) => void
}

/**
 * The SQL editor: CodeMirror 6 with the connected server's dialect (MariaDB's, or MySQL's for
 * MySQL and TiDB), completion of keywords and of the database's tables and columns, Ctrl/⌘+Enter
 * to run. Its text is kept per browser tab (sessionStorage), across reloads. Its styles carry the
 * page's CSP nonce.
 */
export function createEditor (parent: HTMLElement, options: { server: SqlServer, nonce: string, run: () => void }): SqlEditor {
  const language = new Compartment()
  const dialect = options.server.dialect === 'mariadb' ? MariaSQL : MySQL
  const quoteName = nameQuoter(dialect)
  const saved = sessionStorage.getItem('sqlgate.sql') ?? ''
  const runKey = { key: 'Mod-Enter', run: () => { options.run(); return true }, preventDefault: true }
  const extensions: Extension[] = [
    lineNumbers(),
    history(),
    bracketMatching(),
    closeBrackets(),
    highlightActiveLine(),
    syntaxHighlighting(defaultHighlightStyle),
    autocompletion({ activateOnTyping: true }),
    keymap.of([runKey, ...completionKeymap, ...defaultKeymap, ...historyKeymap]),
    language.of(sql({ dialect, upperCaseKeywords: true })),
    errorLine,
    placeholder('SELECT * FROM my_table'),
    EditorView.lineWrapping,
    EditorView.cspNonce.of(options.nonce),
    EditorView.contentAttributes.of({ 'aria-label': 'SQL', 'aria-multiline': 'true' }),
    EditorView.updateListener.of((update) => { if (update.docChanged) sessionStorage.setItem('sqlgate.sql', update.state.doc.toString()) })
  ]
  const view = new EditorView({ parent, state: EditorState.create({ doc: saved, extensions }) })
  return {
    view,
    statement: () => {
      // Taking the statement to run or download dismisses an open completion list: its suggestion
      // was not taken, and the next Enter should start a new line, not replace the word the
      // statement ran with.
      closeCompletion(view)
      return statementAt(view.state, options.server)
    },
    setSchema: (tables) => {
      const name = (label: string, type: string) => ({ label, type, apply: quoteName(label) })
      const schema: SQLNamespace = Object.fromEntries(tables.map((table) =>
        [table.name, { self: name(table.name, 'type'), children: table.columns.map((column) => name(column, 'property')) }]))
      view.dispatch({ effects: language.reconfigure(sql({ dialect, schema, upperCaseKeywords: true })) })
    },
    markErrorLine: (line) => { view.dispatch({ effects: markLine.of(line) }) },
    insertName: (name) => {
      view.dispatch(view.state.replaceSelection(quoteName(name)))
      view.focus()
    },
    loadStatement: (query, keep) => {
      const text = view.state.doc.toString()
      const last = splitStatements(text, options.server).at(-1)
      const from = keep ? text.length : 0
      // After the text: on a line of its own, with a `;` on its own line to end the last statement
      // if it has none (a `;` after a trailing `-- comment` would be inside the comment).
      const ended = last === undefined || last.to < text.length
      const insert = keep ? `${text.endsWith('\n') ? '' : '\n'}${ended ? '' : ';\n'}\n${query}` : query
      view.dispatch({ changes: { from, to: text.length, insert }, selection: { anchor: from + insert.length }, scrollIntoView: true })
      view.focus()
    }
  }
}

/** The selected text, or the statement the cursor is in (./statements.ts), with the line it starts on. */
function statementAt (state: EditorState, server: SqlServer): RanStatement {
  const selection = state.selection.main
  const range = selection.empty ? cursorStatement(state.doc.toString(), selection.head, server) : selection
  if (range === null) return { text: '', line: 1 }
  const raw = state.sliceDoc(range.from, range.to)
  const lead = raw.length - raw.trimStart().length
  return { text: raw.trim(), line: state.doc.lineAt(range.from + lead).number }
}
