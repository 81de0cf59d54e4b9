// The page pieces both sections repeat: a titled card section, a scrollable table with column headers,
// and a form that submits through one async action and shows its error.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ErrorBox } from './ui.tsx';

/** A card with a heading that labels it (`<id>-h`). */
export function Section({ id, title, children }: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section class="card" id={id} aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{title}</h2>
      {children}
    </section>
  );
}

export interface Column<T> {
  head: ComponentChildren;
  cell: (row: T) => ComponentChildren;
  /** The cell names its row (`<th scope="row">`). */
  rowHeader?: boolean;
  /** The cell's class, or one per row. */
  class?: string | ((row: T) => string);
}

/**
 * A table in a focusable, scrollable wrapper (wide tables on a phone), with column headers. With `label`
 * the wrapper is a named region.
 */
export function Table<T>({
  id,
  label,
  columns,
  rows,
  rowKey,
  rowAttrs,
}: {
  id?: string;
  label?: string;
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string | number;
  rowAttrs?: (row: T) => Record<string, string>;
}) {
  return (
    <div class="table-wrap" tabIndex={0} {...(label ? { role: 'region', 'aria-label': label } : {})}>
      <table id={id}>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={i} scope="col">
                {c.head}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)} {...(rowAttrs?.(r) ?? {})}>
              {columns.map((c, i) => {
                const cls = typeof c.class === 'function' ? c.class(r) : c.class;
                return c.rowHeader ? (
                  <th key={i} scope="row" class={cls}>
                    {c.cell(r)}
                  </th>
                ) : (
                  <td key={i} class={cls}>
                    {c.cell(r)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A form whose submission runs `action` with the form's data (the page does not navigate). A failure is
 * shown below the fields, or handed to `onError` when the page shows errors elsewhere. `submit` is the
 * submit button's label (omit it when the children hold their own buttons).
 */
export function ActionForm({
  action,
  submit,
  busy,
  layout = 'stack',
  onError,
  children,
  ...attrs
}: {
  action: (data: FormData, form: HTMLFormElement) => unknown;
  submit?: ComponentChildren;
  busy?: boolean;
  layout?: 'stack' | 'row';
  onError?: (e: unknown) => void;
  children: ComponentChildren;
  role?: 'search' | 'form';
  'aria-label'?: string;
  class?: string;
}) {
  const [error, setError] = useState<unknown>();
  const cls = attrs.class ? `${layout} ${attrs.class}` : layout;
  async function onSubmit(e: Event) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    setError(undefined);
    try {
      await action(new FormData(form), form);
    } catch (err) {
      if (onError) onError(err);
      else setError(err);
    }
  }
  return (
    <form {...attrs} class={cls} onSubmit={onSubmit}>
      {children}
      {submit !== undefined ? (
        <button type="submit" disabled={busy}>
          {submit}
        </button>
      ) : null}
      {onError ? null : <ErrorBox error={error} />}
    </form>
  );
}
