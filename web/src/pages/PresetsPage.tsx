import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { api } from '../api/client.ts';
import { keys, useAccounts, usePresets } from '../api/queries.ts';
import type { Account, Preset } from '../api/types.ts';
import { ConfirmDialog, Dialog } from '../components/Dialog.tsx';
import { ErrorNote, Loading, announce } from '../components/feedback.tsx';
import { PageTitle } from '../components/Layout.tsx';

type PresetBody = { name: string; accounts: string[]; is_default: boolean };

/** Presets: named sets of accounts. The default one is preselected in the composer; built-in ones are read-only. */
export function PresetsPage() {
  const presets = usePresets();
  const accounts = useAccounts();
  const client = useQueryClient();
  const [editing, setEditing] = useState<Preset | 'new' | null>(null);
  const [removing, setRemoving] = useState<Preset | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: keys.presets });

  const save = useMutation({
    mutationFn: ({ id, body }: { id: string | null; body: PresetBody }) =>
      id ? api<Preset>('PUT', `/v1/presets/${encodeURIComponent(id)}`, body) : api<Preset>('POST', '/v1/presets', body),
    onSuccess: (p) => {
      announce(`Preset "${p.name}" saved.`);
      setEditing(null);
      void refresh();
    },
  });
  const makeDefault = useMutation({
    mutationFn: (p: Preset) => api<Preset>('PUT', `/v1/presets/${encodeURIComponent(p.id)}`, { is_default: true }),
    onSuccess: (p) => {
      announce(`"${p.name}" is now the default preset.`);
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (p: Preset) => api<void>('DELETE', `/v1/presets/${encodeURIComponent(p.id)}`),
    onSuccess: () => {
      announce('Preset deleted.');
      setRemoving(null);
      void refresh();
    },
  });

  const accountNames = (p: Preset) =>
    [...p.accounts.map((id) => accounts.data?.find((a) => a.id === id)?.display_name ?? 'disconnected account'), ...p.platforms.map((n) => `any ${n}`)].join(', ') || 'no account';

  return (
    <>
      <PageTitle actions={<button type="button" className="button primary" onClick={() => { save.reset(); setEditing('new'); }}>New preset</button>}>Presets</PageTitle>
      <p className="muted">A preset is a set of accounts you often post to together. The default preset is picked for you when you compose.</p>
      <ErrorNote error={presets.error ?? makeDefault.error ?? remove.error} />
      {presets.isPending ? (
        <Loading what="presets" />
      ) : (
        <ul className="cards" aria-label="Presets">
          {presets.data?.map((p) => (
            <li key={p.id} className="card">
              <div className="row between wrap">
                <h2 className="h4 ellipsis">{p.name}</h2>
                <span className="row tight">
                  {p.is_default && <span className="badge badge-scheduled">★ Default</span>}
                  {p.is_system && <span className="badge">Built-in</span>}
                </span>
              </div>
              <p className="small muted break">{p.is_system ? 'Every active account you have, now and later.' : accountNames(p)}</p>
              {p.is_system ? (
                <p className="small muted">Built-in presets cannot be changed.</p>
              ) : (
                <div className="actions">
                  <button type="button" className="button small" onClick={() => { save.reset(); setEditing(p); }}>
                    Edit<span className="visually-hidden"> {p.name}</span>
                  </button>
                  {!p.is_default && (
                    <button type="button" className="button small" disabled={makeDefault.isPending} onClick={() => makeDefault.mutate(p)}>
                      Make default<span className="visually-hidden"> ({p.name})</span>
                    </button>
                  )}
                  <button type="button" className="button small danger" onClick={() => setRemoving(p)}>
                    Delete<span className="visually-hidden"> {p.name}</span>
                  </button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <Dialog open={editing !== null} title={editing === 'new' ? 'New preset' : `Edit ${editing?.name ?? ''}`} onClose={() => setEditing(null)}>
        {editing !== null && (
          <PresetForm
            preset={editing === 'new' ? null : editing}
            accounts={accounts.data ?? []}
            busy={save.isPending}
            error={save.error}
            onSave={(body) => save.mutate({ id: editing === 'new' ? null : editing.id, body })}
          />
        )}
      </Dialog>
      <ConfirmDialog
        open={removing !== null}
        title={`Delete preset "${removing?.name ?? ''}"?`}
        message="Posts made with it keep their accounts."
        confirmLabel="Delete preset"
        danger
        busy={remove.isPending}
        onConfirm={() => removing && remove.mutate(removing)}
        onClose={() => setRemoving(null)}
      />
    </>
  );
}

function PresetForm(props: { preset: Preset | null; accounts: Account[]; busy: boolean; error: unknown; onSave: (b: PresetBody) => void }) {
  const [name, setName] = useState(props.preset?.name ?? '');
  const [selected, setSelected] = useState<string[]>(props.preset?.accounts ?? []);
  const [isDefault, setIsDefault] = useState(props.preset?.is_default ?? false);
  const [problem, setProblem] = useState<string | null>(null);
  const nameId = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setProblem('Give the preset a name.');
    if (selected.length === 0) return setProblem('Pick at least one account.');
    setProblem(null);
    props.onSave({ name: name.trim(), accounts: selected, is_default: isDefault });
  };
  return (
    <form className="stack" onSubmit={submit}>
      <div className="field">
        <label htmlFor={nameId}>Name</label>
        <input id={nameId} maxLength={100} required value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <fieldset className="checks">
        <legend>Accounts</legend>
        {props.accounts.length === 0 && <p className="muted small">Connect an account first.</p>}
        {props.accounts.map((a) => (
          <label key={a.id} className="check">
            <input
              type="checkbox"
              checked={selected.includes(a.id)}
              onChange={(e) => setSelected(e.target.checked ? [...selected, a.id] : selected.filter((x) => x !== a.id))}
            />
            <span className="ellipsis">
              {a.display_name} <span className="muted">· {a.platform}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <label className="check">
        <input type="checkbox" checked={isDefault} onChange={(e) => setIsDefault(e.target.checked)} />
        <span>Default preset (preselected when composing)</span>
      </label>
      {problem && <p className="note note-error" role="alert">{problem}</p>}
      <ErrorNote error={props.error} title="Not saved:" />
      <div className="actions">
        <button type="submit" className="button primary" disabled={props.busy}>
          {props.busy ? 'Saving…' : 'Save preset'}
        </button>
      </div>
    </form>
  );
}
