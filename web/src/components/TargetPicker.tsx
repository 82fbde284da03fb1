import { useId } from 'react';
import type { Account, Preset } from '../api/types.ts';
import { networkName } from '../lib/networks.ts';
import { Link } from '../lib/router.tsx';
import { presetAccounts, type Targets } from '../lib/targets.ts';

/** Pick a preset (fills the accounts) or tick accounts by hand. */
export function TargetPicker({ accounts, presets, value, onChange }: { accounts: Account[]; presets: Preset[]; value: Targets; onChange: (t: Targets) => void }) {
  const presetId = useId();
  if (accounts.length === 0) {
    return (
      <div className="note">
        No account is connected yet. <Link to="/accounts">Connect an account</Link> to publish somewhere.
      </div>
    );
  }
  const choosePreset = (id: string) => {
    const preset = presets.find((p) => p.id === id);
    onChange(preset ? { presetId: id, accountIds: presetAccounts(preset, accounts) } : { presetId: null, accountIds: value.accountIds });
  };
  const toggle = (id: string, on: boolean) => {
    const accountIds = on ? [...value.accountIds, id] : value.accountIds.filter((a) => a !== id);
    onChange({ presetId: value.presetId, accountIds });
  };
  return (
    <div className="stack tight">
      <div className="field">
        <label htmlFor={presetId}>Preset</label>
        <select id={presetId} value={value.presetId ?? ''} onChange={(e) => choosePreset(e.target.value)}>
          <option value="">None: choose accounts below</option>
          {presets.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
              {p.is_default ? ' (default)' : ''}
            </option>
          ))}
        </select>
      </div>
      <fieldset className="checks">
        <legend>Accounts</legend>
        {accounts.map((a) => (
          <label key={a.id} className={a.is_active ? 'check' : 'check disabled'}>
            <input type="checkbox" checked={value.accountIds.includes(a.id)} disabled={!a.is_active} onChange={(e) => toggle(a.id, e.target.checked)} />
            <span className="ellipsis">
              {a.display_name} <span className="muted">· {networkName(a.platform)}</span>
              {!a.is_active && <span className="warn-text"> · needs reconnecting</span>}
            </span>
          </label>
        ))}
      </fieldset>
    </div>
  );
}
