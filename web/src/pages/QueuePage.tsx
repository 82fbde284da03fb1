import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMutation } from '@tanstack/react-query';
import { DateTime } from 'luxon';
import { type FormEvent, useId, useMemo, useState } from 'react';
import { fetchPostsInRange, keys, queueActions, useAccounts, useQueue } from '../api/queries.ts';
import { type PostingQueue, type QueueSlot, WEEKDAYS, type Weekday } from '../api/types.ts';
import { excerpt } from '../calendar/events.ts';
import { ErrorNote, FieldError, Loading, announce } from '../components/feedback.tsx';
import { PageTitle } from '../components/Layout.tsx';
import { ZoneSelect } from '../components/ZoneSelect.tsx';
import { fieldOf, plainError } from '../lib/field-errors.ts';
import { Link } from '../lib/router.tsx';
import { DAY_NAMES, formatWhen, useZone, zoneLabel } from '../lib/zone.ts';

const UPCOMING_DAYS = 14;
const WEEKDAYS_MON_FRI: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];

const sortSlots = (slots: QueueSlot[]) =>
  [...slots].sort((a, b) => WEEKDAYS.indexOf(a.day) - WEEKDAYS.indexOf(b.day) || a.time.localeCompare(b.time));

/**
 * An account's posting queue: weekly slots ("Mon–Fri 09:00 and 12:30") in a zone, and the next
 * two weeks of slots, filled (with the post) or empty. "Add to queue" fills the next free one.
 */
export function QueuePage({ accountId }: { accountId: string }) {
  const accounts = useAccounts();
  const queue = useQueue(accountId, UPCOMING_DAYS);
  const account = accounts.data?.find((a) => a.id === accountId);
  const title = account ? `Queue: ${account.display_name}` : 'Posting queue';
  return (
    <>
      <PageTitle actions={<Link to="/accounts">All accounts</Link>}>{title}</PageTitle>
      <p className="muted">
        Weekly times this account posts at. <strong>Add to queue</strong> (in Compose, or on a draft) puts a post in the next slot that is free on all
        its accounts.
      </p>
      <ErrorNote error={accounts.error ?? queue.error} />
      {queue.isPending || accounts.isPending ? (
        <Loading what="the queue" />
      ) : (
        queue.data && (
          <>
            <QueueEditor key={accountId} accountId={accountId} queue={queue.data} />
            <Upcoming accountId={accountId} queue={queue.data} />
          </>
        )
      )}
    </>
  );
}

function QueueEditor({ accountId, queue }: { accountId: string; queue: PostingQueue }) {
  const client = useQueryClient();
  const userZone = useZone();
  const uid = useId();
  const id = (name: string) => `${uid}-${name}`;
  const [slots, setSlots] = useState<QueueSlot[]>(sortSlots(queue.slots));
  // A queue never saved follows the user's zone.
  const [zone, setZone] = useState(queue.slots.length > 0 ? queue.timezone : userZone);
  const [days, setDays] = useState<Weekday[]>(WEEKDAYS_MON_FRI);
  const [time, setTime] = useState('09:00');
  const [addProblem, setAddProblem] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: () => queueActions.save(accountId, { timezone: zone, slots }),
    onSuccess: (saved) => {
      client.setQueryData([...keys.queue(accountId), UPCOMING_DAYS], saved);
      setSlots(sortSlots(saved.slots));
      announce(`Queue saved: ${saved.slots.length} slot${saved.slots.length === 1 ? '' : 's'} a week.`);
    },
  });
  const zoneError = fieldOf(save.error, { zone: ['timezone'] }) ? plainError(save.error) : null;
  const otherError = save.error && !zoneError ? save.error : null;
  const dirty = zone !== (queue.slots.length > 0 ? queue.timezone : userZone) || JSON.stringify(sortSlots(queue.slots)) !== JSON.stringify(slots);

  const add = () => {
    if (!/^\d{2}:\d{2}$/.test(time)) return setAddProblem('Enter a time of day, like 09:00.');
    if (days.length === 0) return setAddProblem('Pick at least one day.');
    setAddProblem(null);
    const fresh = days.filter((d) => !slots.some((s) => s.day === d && s.time === time)).map((day) => ({ day, time }));
    setSlots(sortSlots([...slots, ...fresh]));
    announce(fresh.length ? `Added ${time} on ${fresh.map((s) => DAY_NAMES[s.day]).join(', ')}. Save the queue to keep it.` : `${time} is already there on those days.`);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };

  return (
    <form className="panel stack" onSubmit={submit} aria-labelledby={id('title')}>
      <h2 id={id('title')} className="h3">Weekly slots</h2>
      <fieldset className="stack tight">
        <legend>Add slots</legend>
        <div className="row wrap tight">
          <button type="button" className="button small" onClick={() => setDays(WEEKDAYS_MON_FRI)}>Mon–Fri</button>
          <button type="button" className="button small" onClick={() => setDays([...WEEKDAYS])}>Every day</button>
          <button type="button" className="button small" onClick={() => setDays([])}>No day</button>
        </div>
        <fieldset>
          <legend className="visually-hidden">Days</legend>
          <div className="day-toggles">
            {WEEKDAYS.map((d) => (
              <label key={d} className="day-toggle">
                <input type="checkbox" checked={days.includes(d)} onChange={(e) => setDays(e.target.checked ? [...days, d] : days.filter((x) => x !== d))} />
                <span>{DAY_NAMES[d]}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <div className="row wrap end">
          <div className="field">
            <label htmlFor={id('time')}>Time</label>
            <input id={id('time')} type="time" step={60} value={time} onChange={(e) => setTime(e.target.value)} />
          </div>
          <button type="button" className="button" onClick={add}>
            Add slots
          </button>
        </div>
        {addProblem && <p className="field-error" role="alert">{addProblem}</p>}
      </fieldset>

      <div className="stack tight">
        <h3 className="h4">Slots each week</h3>
        {slots.length === 0 ? (
          <p className="muted">No slot yet: add some above, then save.</p>
        ) : (
          <ul className="week-slots" aria-label="Slots each week">
            {WEEKDAYS.filter((d) => slots.some((s) => s.day === d)).map((d) => (
              <li key={d}>
                <span className="week-day">{DAY_NAMES[d]}</span>
                <span className="row wrap tight">
                  {slots
                    .filter((s) => s.day === d)
                    .map((s) => (
                      <span key={s.time} className="slot-chip">
                        {s.time}
                        <button
                          type="button"
                          className="slot-remove"
                          aria-label={`Remove ${DAY_NAMES[d]} ${s.time}`}
                          onClick={() => setSlots(slots.filter((x) => !(x.day === s.day && x.time === s.time)))}
                        >
                          ×
                        </button>
                      </span>
                    ))}
                </span>
              </li>
            ))}
          </ul>
        )}
      </div>

      <div className="row wrap end">
        <div className="field grow zone-field">
          <label htmlFor={id('zone')}>Time zone of the slots</label>
          <ZoneSelect id={id('zone')} value={zone} onChange={setZone} invalid={!!zoneError} describedBy={zoneError ? id('zone-error') : undefined} />
          <FieldError id={id('zone-error')} message={zoneError} />
        </div>
      </div>
      {otherError !== null && <p className="note note-error" role="alert"><strong>Not saved: </strong>{plainError(otherError)}</p>}
      <div className="actions">
        <button type="submit" className="button primary" disabled={save.isPending || !dirty}>
          {save.isPending ? 'Saving…' : 'Save queue'}
        </button>
        {slots.length > 0 && (
          <button type="button" className="button" onClick={() => setSlots([])}>
            Remove all slots
          </button>
        )}
        {dirty && <span className="muted small">Unsaved changes</span>}
      </div>
    </form>
  );
}

/** The next two weeks of slots, by day: the post in each (a link), or "Empty". */
function Upcoming({ accountId, queue }: { accountId: string; queue: PostingQueue }) {
  const userZone = useZone();
  const uid = useId();
  const last = queue.upcoming[queue.upcoming.length - 1];
  // The account's posts in that window, to name the ones filling the slots.
  const posts = useQuery({
    queryKey: [...keys.queue(accountId), 'posts', queue.upcoming[0]?.scheduled_for, last?.scheduled_for],
    queryFn: () => fetchPostsInRange({ from: queue.upcoming[0]!.scheduled_for, to: DateTime.fromISO(last!.scheduled_for).plus({ minutes: 1 }).toUTC().toISO()! }, { account: accountId }),
    enabled: last !== undefined,
  });
  const byId = useMemo(() => new Map((posts.data ?? []).map((p) => [p.id, p])), [posts.data]);
  const days = useMemo(() => {
    const map = new Map<string, PostingQueue['upcoming']>();
    for (const slot of queue.upcoming) {
      const day = slot.local_time.slice(0, 10);
      map.set(day, [...(map.get(day) ?? []), slot]);
    }
    return [...map];
  }, [queue.upcoming]);
  const filled = queue.upcoming.filter((s) => s.post_ids.length > 0).length;

  return (
    <section className="panel stack" aria-labelledby={`${uid}-title`}>
      <h2 id={`${uid}-title`} className="h3">Next {UPCOMING_DAYS} days</h2>
      <p className="muted small">
        Times in {zoneLabel(queue.timezone)}
        {queue.upcoming.length > 0 && ` · ${filled} of ${queue.upcoming.length} slots filled`}.
      </p>
      {queue.upcoming.length === 0 ? (
        <p className="muted">No slot in the next {UPCOMING_DAYS} days{queue.slots.length === 0 ? ': add weekly slots above and save' : ''}.</p>
      ) : (
        <div className="upcoming-days">
          {days.map(([day, slots]) => (
            <div key={day} className="upcoming-day">
              <h3 className="h4">{DateTime.fromISO(day).toLocaleString({ weekday: 'long', day: 'numeric', month: 'long' })}</h3>
              <ul className="upcoming" aria-label={`Slots on ${DateTime.fromISO(day).toLocaleString({ weekday: 'long', day: 'numeric', month: 'long' })}`}>
                {slots.map((slot) => (
                  <li key={slot.scheduled_for} className={slot.post_ids.length ? 'slot slot-filled' : 'slot slot-empty'}>
                    <span className="slot-time">
                      {slot.local_time.slice(11)}
                      {queue.timezone !== userZone && <span className="muted small"> ({formatWhen(slot.scheduled_for, userZone)} your time)</span>}
                    </span>
                    <span className="slot-what">
                      {slot.post_ids.length === 0 ? (
                        <span className="muted">Empty</span>
                      ) : (
                        slot.post_ids.map((postId) => (
                          <Link key={postId} to={`/posts/${postId}`} className="break">
                            {byId.get(postId) ? excerpt(byId.get(postId)!.content, 70) : 'A scheduled post'}
                          </Link>
                        ))
                      )}
                      {slot.adjusted && (
                        <span className="small">
                          <span className="badge badge-adjusted">Adjusted</span> {slot.reason}
                        </span>
                      )}
                    </span>
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
