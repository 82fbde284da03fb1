import { useMutation, useQueryClient } from '@tanstack/react-query';
import { DateTime } from 'luxon';
import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { api } from '../api/client.ts';
import { keys, useMe } from '../api/queries.ts';
import type { Me } from '../api/types.ts';
import { ApiKeysSection } from '../components/ApiKeysSection.tsx';
import { ErrorNote, Loading, announce } from '../components/feedback.tsx';
import { PageTitle } from '../components/Layout.tsx';
import { allZones, browserZone, zoneLabel } from '../lib/zone.ts';

/** Settings: the time zone (detected from the browser, or overridden) and API keys. */
export function SettingsPage() {
  const me = useMe();
  return (
    <>
      <PageTitle>Settings</PageTitle>
      <ErrorNote error={me.error} />
      {me.isPending ? <Loading what="settings" /> : me.data && <TimeZoneSection me={me.data} />}
      <ApiKeysSection />
      {me.data?.email && (
        <section className="panel stack tight" aria-labelledby="account-title">
          <h2 id="account-title" className="h3">Sign-in</h2>
          <p>
            Signed in as <strong className="break">{me.data.email}</strong>.
          </p>
        </section>
      )}
    </>
  );
}

function TimeZoneSection({ me }: { me: Me }) {
  const client = useQueryClient();
  const detected = browserZone();
  const [choice, setChoice] = useState(me.timezone ?? '');
  useEffect(() => setChoice(me.timezone ?? ''), [me.timezone]);
  const zones = useMemo(() => allZones(me.timezone), [me.timezone]);
  const save = useMutation({
    mutationFn: (timezone: string | null) => api<Me>('PUT', '/v1/me', { timezone }),
    onSuccess: (updated) => {
      client.setQueryData(keys.me, updated);
      announce(updated.timezone ? `Times are now shown in ${updated.timezone}.` : `Times now follow your browser (${detected}).`);
    },
  });
  const effective = me.timezone ?? detected;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(choice === '' ? null : choice);
  };
  return (
    <section className="panel stack" aria-labelledby="tz-title">
      <h2 id="tz-title" className="h3">Time zone</h2>
      <dl className="facts">
        <dt>Detected from your browser</dt>
        <dd data-testid="detected-zone">{zoneLabel(detected)}</dd>
        <dt>Used for every time you see and enter</dt>
        <dd data-testid="effective-zone">
          {zoneLabel(effective)} · now {DateTime.now().setZone(effective).toLocaleString(DateTime.TIME_SIMPLE)}
          {me.timezone && me.timezone !== detected && <span className="muted"> (your override)</span>}
        </dd>
      </dl>
      <p className="muted small">If the detected zone looks wrong (a VPN can cause this), choose yours. Scheduled posts keep their moment: only how times are shown changes.</p>
      <form className="row wrap end" onSubmit={submit}>
        <div className="field grow">
          <label htmlFor="tz-select">Time zone</label>
          <select id="tz-select" value={choice} onChange={(e) => setChoice(e.target.value)}>
            <option value="">Follow the browser ({detected})</option>
            {zones.map((z) => (
              <option key={z} value={z}>
                {z.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button primary" disabled={save.isPending || choice === (me.timezone ?? '')}>
          {save.isPending ? 'Saving…' : 'Save time zone'}
        </button>
      </form>
      <ErrorNote error={save.error} title="Not saved:" />
    </section>
  );
}
