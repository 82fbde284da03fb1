import { useMutation } from '@tanstack/react-query';
import { DateTime } from 'luxon';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { bulkActions } from '../api/queries.ts';
import { type BulkScheduleBody, type BulkScheduleResult, type Post, WEEKDAYS, type Weekday } from '../api/types.ts';
import { Dialog } from '../components/Dialog.tsx';
import { FieldError } from '../components/feedback.tsx';
import { ZoneSelect } from '../components/ZoneSelect.tsx';
import { fieldOf, plainError } from '../lib/field-errors.ts';
import { Link } from '../lib/router.tsx';
import { DAY_NAMES, formatWhen, useZone, zoneLabel } from '../lib/zone.ts';
import { excerpt } from './events.ts';

/**
 * Bulk Schedule (scheduling.md): select drafts (they take the slots in the order shown), pick a
 * pattern — every day or some days of the week, at one or more times, from a start date to an
 * optional end date, in a zone — preview the time each draft gets, confirm: all are scheduled, or none.
 */
export function BulkScheduleDialog(props: { open: boolean; drafts: Post[]; onClose: () => void; onScheduled: (result: BulkScheduleResult) => void }) {
  return (
    <Dialog open={props.open} title="Bulk Schedule" onClose={props.onClose} wide>
      {/* Mounted while open: each opening starts afresh. */}
      <BulkScheduleForm drafts={props.drafts} onClose={props.onClose} onScheduled={props.onScheduled} />
    </Dialog>
  );
}

/** The form's fields, each with the server's details.field prefixes that belong to it. */
const FIELDS = {
  drafts: ['post_ids'],
  days: ['pattern.days'],
  times: ['pattern.times'],
  start: ['pattern.start_date'],
  end: ['pattern.end_date'],
  zone: ['timezone'],
  stagger: ['stagger_minutes'],
};
type Field = keyof typeof FIELDS;

function BulkScheduleForm({ drafts, onClose, onScheduled }: { drafts: Post[]; onClose: () => void; onScheduled: (result: BulkScheduleResult) => void }) {
  const userZone = useZone();
  const uid = useId();
  const id = (name: string) => `${uid}-${name}`;
  const [selected, setSelected] = useState<string[]>([]);
  const [type, setType] = useState<'daily' | 'weekly'>('daily');
  const [days, setDays] = useState<Weekday[]>(['mon', 'wed', 'fri']);
  const [times, setTimes] = useState<string[]>(['09:00']);
  const [zone, setZone] = useState(userZone);
  const [start, setStart] = useState(() => DateTime.now().setZone(userZone).plus({ days: 1 }).toISODate()!);
  const [end, setEnd] = useState('');
  const [skipTaken, setSkipTaken] = useState(true);
  const [staggerOn, setStaggerOn] = useState(false);
  const [stagger, setStagger] = useState('5');
  const [preview, setPreview] = useState<BulkScheduleResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const previewing = useMutation({ mutationFn: bulkActions.preview });
  const applying = useMutation({ mutationFn: bulkActions.apply });

  const errorAt = fieldOf(error, FIELDS);
  const fieldError = (field: Field) => (errorAt === field ? plainError(error) : null);
  const inputOf: Record<Field, string> = { drafts: id('drafts'), days: id('day-mon'), times: id('time-0'), start: id('start'), end: id('end'), zone: id('zone'), stagger: id('stagger') };
  // After a refusal: the field at fault takes focus (its message is read with it).
  useEffect(() => {
    if (errorAt && !preview) document.getElementById(inputOf[errorAt])?.focus();
  }, [error]); // eslint-disable-line react-hooks/exhaustive-deps

  const byId = new Map(drafts.map((d) => [d.id, d]));
  const chosen = selected.filter((x) => byId.has(x));
  const body = (): BulkScheduleBody => ({
    post_ids: chosen,
    pattern: {
      type,
      times,
      ...(type === 'weekly' && { days: WEEKDAYS.filter((d) => days.includes(d)) }),
      start_date: start,
      ...(end && { end_date: end }),
      skip_taken: skipTaken,
    },
    timezone: zone,
    ...(staggerOn && { stagger_minutes: Number(stagger) }),
  });

  const toggle = (postId: string, on: boolean) => setSelected(on ? [...selected, postId] : selected.filter((x) => x !== postId));
  const move = (index: number, by: -1 | 1) => {
    const next = [...chosen];
    const [item] = next.splice(index, 1);
    next.splice(index + by, 0, item!);
    setSelected(next);
  };
  const setTime = (i: number, value: string) => setTimes(times.map((t, j) => (j === i ? value : t)));

  const submitPreview = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      setPreview(await previewing.mutateAsync(body()));
    } catch (err) {
      setError(err);
    }
  };
  const confirm = async () => {
    setError(null);
    try {
      onScheduled(await applying.mutateAsync(body()));
    } catch (err) {
      // Back to the form, where the field at fault shows what to change.
      setPreview(null);
      setError(err);
    }
  };

  if (preview) {
    const adjusted = preview.assignments.filter((a) => a.adjusted).length;
    return (
      <div className="stack">
        <p>
          {preview.assignments.length} draft{preview.assignments.length > 1 ? 's' : ''}, at these times in <strong>{zoneLabel(preview.timezone)}</strong>:
        </p>
        {adjusted > 0 && (
          <p className="note note-warn">
            {adjusted} time{adjusted > 1 ? 's' : ''} changed because of a daylight-saving change: see the rows marked “Adjusted”.
          </p>
        )}
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Preview: the time each draft gets</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Draft</th>
                <th scope="col">Goes out</th>
              </tr>
            </thead>
            <tbody>
              {preview.assignments.map((a, i) => (
                <tr key={a.post_id} className={a.adjusted ? 'row-adjusted' : undefined}>
                  <td>{i + 1}</td>
                  <td className="break">{excerpt(byId.get(a.post_id)?.content ?? a.post_id, 80)}</td>
                  <td>
                    <span className="nowrap">{formatWhen(a.scheduled_for, preview.timezone)}</span>
                    {preview.timezone !== userZone && <span className="muted small"> ({formatWhen(a.scheduled_for, userZone)} your time)</span>}
                    {a.adjusted && (
                      <div className="small">
                        <span className="badge badge-adjusted">Adjusted</span> {a.reason}
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {error !== null && <p className="note note-error" role="alert">{plainError(error)}</p>}
        <div className="actions">
          <button type="button" className="button primary" disabled={applying.isPending} onClick={() => void confirm()}>
            {applying.isPending ? 'Scheduling…' : `Confirm: schedule ${preview.assignments.length} post${preview.assignments.length > 1 ? 's' : ''}`}
          </button>
          <button type="button" className="button" onClick={() => setPreview(null)}>
            Back to the pattern
          </button>
        </div>
      </div>
    );
  }

  const general = error !== null && errorAt === null ? plainError(error) : null;
  return (
    <form className="stack" onSubmit={(e) => void submitPreview(e)} noValidate>
      {drafts.length === 0 ? (
        <p className="muted">
          You have no draft to schedule. <Link to="/compose" onClick={onClose}>Write one</Link>, save it as a draft, and come back.
        </p>
      ) : (
        <div className="bulk-grid">
          <fieldset className="stack tight" aria-describedby={fieldError('drafts') ? id('drafts-error') : undefined}>
            <legend>
              Drafts to schedule <span className="muted">({chosen.length} of {drafts.length} selected)</span>
            </legend>
            <div className="row wrap tight">
              <button type="button" className="button small" onClick={() => setSelected([...chosen, ...drafts.map((d) => d.id).filter((x) => !chosen.includes(x))])}>
                Select all
              </button>
              <button type="button" className="button small" disabled={chosen.length === 0} onClick={() => setSelected([])}>
                Clear
              </button>
            </div>
            <ul className="bulk-drafts">
              {drafts.map((d, i) => (
                <li key={d.id}>
                  <label className="check">
                    <input
                      id={i === 0 ? id('drafts') : undefined}
                      type="checkbox"
                      checked={chosen.includes(d.id)}
                      onChange={(e) => toggle(d.id, e.target.checked)}
                    />
                    <span className="break">{excerpt(d.content, 90)}</span>
                  </label>
                </li>
              ))}
            </ul>
            <FieldError id={id('drafts-error')} message={fieldError('drafts')} />
          </fieldset>
          <section className="stack tight" aria-labelledby={id('order-title')}>
            <h3 id={id('order-title')} className="h4">Order</h3>
            <p className="muted small">Drafts take the slots in this order: the first gets the earliest time.</p>
            {chosen.length === 0 ? (
              <p className="muted small">Tick drafts on the left: they are added in the order you tick them.</p>
            ) : (
              <ol className="bulk-order">
                {chosen.map((postId, i) => {
                  const text = excerpt(byId.get(postId)!.content, 60);
                  return (
                    <li key={postId}>
                      <span className="bulk-order-text break">{text}</span>
                      <span className="row tight nowrap">
                        <button type="button" className="button small" disabled={i === 0} aria-label={`Move up: ${text}`} onClick={() => move(i, -1)}>
                          ↑
                        </button>
                        <button type="button" className="button small" disabled={i === chosen.length - 1} aria-label={`Move down: ${text}`} onClick={() => move(i, 1)}>
                          ↓
                        </button>
                      </span>
                    </li>
                  );
                })}
              </ol>
            )}
          </section>
        </div>
      )}

      <fieldset className="stack tight">
        <legend>Pattern</legend>
        <div className="checks inline">
          <label className="check">
            <input type="radio" name={id('type')} checked={type === 'daily'} onChange={() => setType('daily')} /> Every day
          </label>
          <label className="check">
            <input type="radio" name={id('type')} checked={type === 'weekly'} onChange={() => setType('weekly')} /> Days of the week
          </label>
        </div>
        {type === 'weekly' && (
          <fieldset aria-describedby={fieldError('days') ? id('days-error') : undefined}>
            <legend className="visually-hidden">Days of the week</legend>
            <div className="day-toggles">
              {WEEKDAYS.map((d) => (
                <label key={d} className="day-toggle">
                  <input id={id(`day-${d}`)} type="checkbox" checked={days.includes(d)} onChange={(e) => setDays(e.target.checked ? [...days, d] : days.filter((x) => x !== d))} />
                  <span>{DAY_NAMES[d]}</span>
                </label>
              ))}
            </div>
            <FieldError id={id('days-error')} message={fieldError('days')} />
          </fieldset>
        )}
      </fieldset>

      <fieldset className="stack tight">
        <legend>Times of day</legend>
        <div className="row wrap">
          {times.map((t, i) => (
            <div key={i} className="time-item">
              <label htmlFor={id(`time-${i}`)} className="small">Time {i + 1}</label>
              <div className="row tight">
                <input
                  id={id(`time-${i}`)}
                  type="time"
                  step={60}
                  value={t}
                  aria-invalid={fieldError('times') ? true : undefined}
                  aria-describedby={fieldError('times') ? id('times-error') : undefined}
                  onChange={(e) => setTime(i, e.target.value)}
                />
                {times.length > 1 && (
                  <button type="button" className="button small" aria-label={`Remove time ${i + 1}`} onClick={() => setTimes(times.filter((_, j) => j !== i))}>
                    ×
                  </button>
                )}
              </div>
            </div>
          ))}
        </div>
        <div>
          <button type="button" className="button small" disabled={times.length >= 24} onClick={() => setTimes([...times, nextTime(times)])}>
            + Add time
          </button>
        </div>
        <FieldError id={id('times-error')} message={fieldError('times')} />
      </fieldset>

      <div className="row wrap start">
        <div className="field">
          <label htmlFor={id('start')}>Start date</label>
          <input
            id={id('start')}
            type="date"
            value={start}
            aria-invalid={fieldError('start') ? true : undefined}
            aria-describedby={fieldError('start') ? id('start-error') : undefined}
            onChange={(e) => setStart(e.target.value)}
          />
          <FieldError id={id('start-error')} message={fieldError('start')} />
        </div>
        <div className="field">
          <label htmlFor={id('end')}>End date (optional)</label>
          <input
            id={id('end')}
            type="date"
            value={end}
            aria-invalid={fieldError('end') ? true : undefined}
            aria-describedby={`${id('end-hint')}${fieldError('end') ? ` ${id('end-error')}` : ''}`}
            onChange={(e) => setEnd(e.target.value)}
          />
          <small id={id('end-hint')} className="muted">Included. Leave empty to go on as long as the drafts need.</small>
          <FieldError id={id('end-error')} message={fieldError('end')} />
        </div>
        <div className="field grow">
          <label htmlFor={id('zone')}>Time zone</label>
          <ZoneSelect id={id('zone')} value={zone} onChange={setZone} invalid={!!fieldError('zone')} describedBy={fieldError('zone') ? id('zone-error') : undefined} />
          <FieldError id={id('zone-error')} message={fieldError('zone')} />
        </div>
      </div>

      <fieldset className="stack tight">
        <legend>Options</legend>
        <label className="check">
          <input type="checkbox" checked={skipTaken} onChange={(e) => setSkipTaken(e.target.checked)} />
          <span>Skip slots where the account already has a post</span>
        </label>
        <div className="row wrap tight">
          <label className="check">
            <input type="checkbox" checked={staggerOn} onChange={(e) => setStaggerOn(e.target.checked)} />
            <span>Space out networks by</span>
          </label>
          <label htmlFor={id('stagger')} className="visually-hidden">Minutes between networks</label>
          <input
            id={id('stagger')}
            className="minutes"
            type="number"
            min={0}
            max={1440}
            step={1}
            inputMode="numeric"
            disabled={!staggerOn}
            value={stagger}
            aria-invalid={fieldError('stagger') ? true : undefined}
            aria-describedby={fieldError('stagger') ? id('stagger-error') : undefined}
            onChange={(e) => setStagger(e.target.value)}
          />
          <span aria-hidden="true">minutes</span>
        </div>
        <FieldError id={id('stagger-error')} message={fieldError('stagger')} />
      </fieldset>

      {general && <p className="note note-error" role="alert">{general}</p>}
      <div className="actions">
        <button type="submit" className="button primary" disabled={previewing.isPending || drafts.length === 0}>
          {previewing.isPending ? 'Working out the times…' : 'Preview'}
        </button>
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** A new time three hours after the last (capped at 23:00), a common second slot. */
function nextTime(times: string[]): string {
  const last = times[times.length - 1] ?? '09:00';
  const hour = Math.min(Number(last.slice(0, 2)) + 3, 23);
  const candidate = `${String(hour).padStart(2, '0')}:${last.slice(3, 5) || '00'}`;
  return times.includes(candidate) ? '12:00' : candidate;
}
