import { DateTime } from 'luxon';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { formatWhen, fromLocalInputs, nextSlot, toLocalInputs, useZone, zoneLabel } from '../lib/zone.ts';
import { Dialog } from './Dialog.tsx';
import { ErrorNote } from './feedback.tsx';
import { Link } from '../lib/router.tsx';

/**
 * Schedule → pick a date and time in the user's zone → Confirm Schedule (scheduling.md).
 * The wall-clock time entered is turned into a UTC instant here; the server only sees UTC.
 */
export function ScheduleDialog(props: {
  open: boolean;
  title?: string;
  /** Prefill: an instant, or a local date (and optional time) in the user's zone. */
  initial?: { iso?: string | null; date?: string; time?: string };
  busy?: boolean;
  error?: unknown;
  onConfirm: (iso: string) => void;
  onClose: () => void;
}) {
  const zone = useZone();
  const [date, setDate] = useState('');
  const [time, setTime] = useState('');
  const [touched, setTouched] = useState(false);
  const ids = { date: useId(), time: useId(), help: useId() };

  useEffect(() => {
    if (!props.open) return;
    const slot = nextSlot(zone);
    const fromIso = props.initial?.iso ? toLocalInputs(props.initial.iso, zone) : undefined;
    setDate(fromIso?.date ?? props.initial?.date ?? slot.date);
    setTime(fromIso?.time ?? props.initial?.time ?? slot.time);
    setTouched(false);
  }, [props.open, props.initial?.iso, props.initial?.date, props.initial?.time, zone]);

  const picked = fromLocalInputs(date, time, zone);
  const past = picked ? DateTime.fromISO(picked.iso) <= DateTime.now() : false;
  const problem = !picked ? 'Pick a date and a time.' : past ? 'That moment has passed: pick a time in the future.' : null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (picked && !problem) props.onConfirm(picked.iso);
  };

  return (
    <Dialog open={props.open} title={props.title ?? 'Schedule post'} onClose={props.onClose}>
      <form className="stack" onSubmit={submit} noValidate>
        <p id={ids.help} className="muted">
          Times are in your time zone, <strong>{zoneLabel(zone, picked?.iso)}</strong>. <Link to="/settings">Change it in Settings</Link>.
        </p>
        <div className="row wrap">
          <div className="field">
            <label htmlFor={ids.date}>Date</label>
            <input id={ids.date} type="date" value={date} required aria-describedby={ids.help} onChange={(e) => setDate(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={ids.time}>Time</label>
            <input id={ids.time} type="time" step={60} value={time} required aria-describedby={ids.help} onChange={(e) => setTime(e.target.value)} />
          </div>
        </div>
        {picked && !problem && (
          <p className="schedule-preview">
            Goes out <strong>{formatWhen(picked.iso, zone)}</strong> ({DateTime.fromISO(picked.iso).toRelative()})
            {picked.adjusted && <> — {time} does not exist that day in {zone} (clocks go forward), so it is {picked.shown}.</>}
          </p>
        )}
        {touched && problem && (
          <p className="note note-error" role="alert">
            {problem}
          </p>
        )}
        <ErrorNote error={props.error} title="Not scheduled:" />
        <div className="actions">
          <button type="submit" className="button primary" disabled={props.busy}>
            {props.busy ? 'Scheduling…' : 'Confirm Schedule'}
          </button>
          <button type="button" className="button" onClick={props.onClose}>
            Back
          </button>
        </div>
      </form>
    </Dialog>
  );
}
