import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { api } from '../api/client.ts';
import { keys, useAccounts, usePresets } from '../api/queries.ts';
import type { Account, Preset } from '../api/types.ts';
import { ConfirmDialog, Dialog } from '../components/Dialog.tsx';
import { ErrorNote, FieldError, Loading, announce } from '../components/feedback.tsx';
import { PageTitle } from '../components/Layout.tsx';
import { fieldOf, plainError } from '../lib/field-errors.ts';
import { networkName } from '../lib/networks.ts';

type PresetBody = {
  name: string;
  accounts: string[];
  is_default: boolean;
  primary_platform: string | null;
  cross_link_enabled: boolean;
  cross_link_template: string | null;
};

const DEFAULT_TEMPLATE = 'Also on {platform}: {link}';

/**
 * Presets: named sets of accounts. The default one is preselected in the composer; built-in ones
 * are read-only. A preset can cross-post: its primary network goes first, and the others carry
 * its link (the template).
 */
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
    [...p.accounts.map((id) => accounts.data?.find((a) => a.id === id)?.display_name ?? 'disconnected account'), ...p.platforms.map((n) => `any ${networkName(n)} account`)].join(', ') || 'no account';

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
              {p.primary_platform && (
                <p className="small break">
                  {p.cross_link_enabled ? (
                    <>
                      <strong>Cross-link:</strong> {networkName(p.primary_platform)} first, then the others with “{p.cross_link_template ?? DEFAULT_TEMPLATE}”
                    </>
                  ) : (
                    <>
                      <strong>Primary:</strong> {networkName(p.primary_platform)} (no cross-link)
                    </>
                  )}
                </p>
              )}
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
  const [primary, setPrimary] = useState(props.preset?.primary_platform ?? '');
  const [crossLink, setCrossLink] = useState(props.preset?.cross_link_enabled ?? false);
  const [template, setTemplate] = useState(props.preset?.cross_link_template ?? DEFAULT_TEMPLATE);
  const [problem, setProblem] = useState<{ field: 'primary' | 'template' | null; text: string } | null>(null);
  const nameId = useId();
  const primaryId = useId();
  const templateId = useId();
  // The primary network is one of the preset's own: those of the accounts ticked (and any platform it names).
  const networks = [
    ...new Set([...props.accounts.filter((a) => selected.includes(a.id)).map((a) => a.platform), ...(props.preset?.platforms ?? [])]),
  ];
  const primaryOk = primary === '' || networks.includes(primary);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setProblem({ field: null, text: 'Give the preset a name.' });
    if (selected.length === 0) return setProblem({ field: null, text: 'Pick at least one account.' });
    if (!primaryOk) return setProblem({ field: 'primary', text: `None of the accounts ticked is on ${networkName(primary)}: pick another primary network.` });
    if (crossLink && !primary) return setProblem({ field: 'primary', text: 'Cross-linking needs a primary network: the one whose link the others carry.' });
    if (crossLink && !template.includes('{link}')) return setProblem({ field: 'template', text: 'The template needs {link}, where the primary post’s address goes.' });
    setProblem(null);
    props.onSave({
      name: name.trim(),
      accounts: selected,
      is_default: isDefault,
      primary_platform: primary || null,
      cross_link_enabled: crossLink,
      cross_link_template: template.trim() === '' || template === DEFAULT_TEMPLATE ? (crossLink ? DEFAULT_TEMPLATE : null) : template,
    });
  };
  // The server's refusal of these fields, shown with them.
  const serverField = fieldOf(props.error, { primary: ['primary_platform'], template: ['cross_link_template'] });
  const primaryError = problem?.field === 'primary' ? problem.text : serverField === 'primary' ? plainError(props.error) : null;
  const templateError = problem?.field === 'template' ? problem.text : serverField === 'template' ? plainError(props.error) : null;
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
              {a.display_name} <span className="muted">· {networkName(a.platform)}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <label className="check">
        <input type="checkbox" checked={isDefault} onChange={(e) => setIsDefault(e.target.checked)} />
        <span>Default preset (preselected when composing)</span>
      </label>
      <fieldset className="stack tight">
        <legend>Cross-posting</legend>
        <div className="field">
          <label htmlFor={primaryId}>Primary network</label>
          <select
            id={primaryId}
            value={primary}
            onChange={(e) => setPrimary(e.target.value)}
            aria-describedby={`${primaryId}-hint${primaryError ? ` ${primaryId}-error` : ''}`}
            aria-invalid={primaryError ? true : undefined}
          >
            <option value="">None: all at once</option>
            {[...networks, ...(primaryOk || !primary ? [] : [primary])].map((n) => (
              <option key={n} value={n}>
                {networkName(n)}
              </option>
            ))}
          </select>
          <small id={`${primaryId}-hint`} className="muted">
            Published first; the other networks follow once it is out.
          </small>
          <FieldError id={`${primaryId}-error`} message={primaryError} />
        </div>
        <label className="check">
          <input type="checkbox" checked={crossLink} onChange={(e) => setCrossLink(e.target.checked)} />
          <span>Add a link to the primary post on the other networks</span>
        </label>
        {crossLink && (
          <div className="field">
            <label htmlFor={templateId}>Cross-link text</label>
            <input
              id={templateId}
              maxLength={1000}
              value={template}
              onChange={(e) => setTemplate(e.target.value)}
              aria-describedby={`${templateId}-hint${templateError ? ` ${templateId}-error` : ''}`}
              aria-invalid={templateError ? true : undefined}
            />
            <small id={`${templateId}-hint`} className="muted">
              Added after the text. <code>{'{link}'}</code> the primary post’s address (required), <code>{'{platform}'}</code> its network’s name,{' '}
              <code>{'{title}'}</code> the post’s first line, <code>{'{excerpt}'}</code> its first 100 characters. If the primary fails, the others go out
              without it.
            </small>
            <FieldError id={`${templateId}-error`} message={templateError} />
          </div>
        )}
      </fieldset>
      {problem && problem.field === null && <p className="note note-error" role="alert">{problem.text}</p>}
      {serverField === null && <ErrorNote error={props.error} title="Not saved:" />}
      <div className="actions">
        <button type="submit" className="button primary" disabled={props.busy}>
          {props.busy ? 'Saving…' : 'Save preset'}
        </button>
      </div>
    </form>
  );
}
