import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { DateTime } from 'luxon';
import { useMemo, useState } from 'react';
import { errorMessage } from '../api/client.ts';
import { fetchPostsInRange, keys, postActions, useAccounts, useDrafts, useMe } from '../api/queries.ts';
import type { Post, PostStatus } from '../api/types.ts';
import { ErrorNote, Loading, announce } from '../components/feedback.tsx';
import { PageTitle } from '../components/Layout.tsx';
import { ScheduleDialog } from '../components/ScheduleDialog.tsx';
import { STATUS_LABEL } from '../lib/delivery-help.ts';
import { navigate } from '../lib/router.tsx';
import { formatWhen, useZone, zoneLabel } from '../lib/zone.ts';
import { BulkScheduleDialog } from './BulkScheduleDialog.tsx';
import { DraftsPanel } from './DraftsPanel.tsx';
import { PostCalendar } from './PostCalendar.tsx';

const SHOWN: PostStatus[] = ['scheduled', 'publishing', 'published', 'partially_failed', 'failed'];

/** The content calendar (scheduling.md): scheduled posts, published history, failed ones marked, drafts beside. */
export default function CalendarPage() {
  const me = useMe();
  const zone = useZone();
  const client = useQueryClient();
  const accounts = useAccounts();
  const drafts = useDrafts();
  const [range, setRange] = useState<{ from: string; to: string } | null>(null);
  const [account, setAccount] = useState('');
  const [statuses, setStatuses] = useState<PostStatus[]>(SHOWN);
  const [bulkOpen, setBulkOpen] = useState(false);
  /** Bumped to reopen the calendar where the address says (after a bulk schedule: its first day). */
  const [jump, setJump] = useState(0);
  const [scheduling, setScheduling] = useState<{ post: Post; date?: string; time?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const filter = { account: account || undefined, statuses: statuses.length === SHOWN.length ? undefined : statuses };
  const posts = useQuery({
    queryKey: [...keys.posts, 'range', range, filter],
    queryFn: () => fetchPostsInRange(range!, filter),
    enabled: range !== null && statuses.length > 0,
    placeholderData: keepPreviousData,
    // Posts go out while the calendar is open: refresh now and then (and when the tab regains focus).
    refetchInterval: 60_000,
  });
  const shown = useMemo(() => (statuses.length === 0 ? [] : (posts.data ?? [])), [posts.data, statuses.length]);

  const schedule = async (id: string, iso: string, revert?: () => void) => {
    setError(null);
    setBusy(true);
    try {
      const saved = await postActions.schedule(id, iso);
      client.setQueryData(keys.post(id), saved);
      announce(`Scheduled for ${formatWhen(saved.scheduled_for!, zone)}.`);
      setScheduling(null);
    } catch (err) {
      revert?.();
      if (revert) setError(new Error(`Not moved: ${errorMessage(err)}`));
      else setError(err);
    } finally {
      setBusy(false);
      await client.invalidateQueries({ queryKey: keys.posts });
    }
  };

  const toggleStatus = (s: PostStatus, on: boolean) => setStatuses(on ? SHOWN.filter((x) => x === s || statuses.includes(x)) : statuses.filter((x) => x !== s));

  return (
    <>
      <PageTitle actions={<button type="button" className="button primary" onClick={() => setBulkOpen(true)}>Bulk Schedule</button>}>Calendar</PageTitle>
      <div className="calendar-filters row wrap">
        <div className="field">
          <label htmlFor="cal-account">Account</label>
          <select id="cal-account" value={account} onChange={(e) => setAccount(e.target.value)}>
            <option value="">All accounts</option>
            {accounts.data?.map((a) => (
              <option key={a.id} value={a.id}>
                {a.display_name} ({a.platform})
              </option>
            ))}
          </select>
        </div>
        <fieldset className="checks inline">
          <legend>Show</legend>
          {SHOWN.map((s) => (
            <label key={s} className={`check legend-${s}`}>
              <input type="checkbox" checked={statuses.includes(s)} onChange={(e) => toggleStatus(s, e.target.checked)} />
              <span className={`swatch swatch-${s}`} aria-hidden="true" />
              {STATUS_LABEL[s]}
            </label>
          ))}
        </fieldset>
        <p className="muted small zone-note">Times in {zoneLabel(zone)}</p>
      </div>
      {!scheduling && <ErrorNote error={error ?? posts.error ?? drafts.error} />}
      <div className="calendar-layout">
        <div className="calendar-main" aria-busy={posts.isFetching}>
          {me.isPending ? (
            <Loading what="the calendar" />
          ) : (
          <PostCalendar
            key={`${zone}:${jump}`}
            zone={zone}
            posts={shown}
            initial={placeInAddress()}
            onRange={(r, place) => {
              setRange(r);
              // Keep the place in the address (reload, back, links), without a history entry per click.
              window.history.replaceState(null, '', `/calendar?view=${place.view}&date=${place.date}`);
            }}
            onMove={(id, startIso, revert) => void schedule(id, new Date(startIso).toISOString(), revert)}
            onDropDraft={(id, at) => {
              const post = drafts.data?.find((d) => d.id === id);
              if (!post) return;
              // A day in the month view has no time: ask for it, starting at 9:00. A time slot is exact.
              if (at.allDay) setScheduling({ post, date: at.dateStr.slice(0, 10), time: '09:00' });
              else void schedule(id, new Date(at.dateStr).toISOString());
            }}
            onOpen={(id) => {
              const post = posts.data?.find((p) => p.id === id);
              navigate(post?.status === 'scheduled' ? `/posts/${id}/edit` : `/posts/${id}`);
            }}
          />
          )}
        </div>
        <DraftsPanel drafts={drafts.data} onSchedule={(post) => setScheduling({ post })} />
      </div>
      <ScheduleDialog
        open={scheduling !== null}
        initial={{ date: scheduling?.date, time: scheduling?.time }}
        busy={busy}
        error={scheduling ? error : null}
        onConfirm={(iso) => scheduling && void schedule(scheduling.post.id, iso)}
        onClose={() => { setScheduling(null); setError(null); }}
      />
      <BulkScheduleDialog
        open={bulkOpen}
        drafts={drafts.data ?? []}
        onClose={() => setBulkOpen(false)}
        onScheduled={(result) => {
          setBulkOpen(false);
          const first = result.assignments[0];
          if (first) {
            const n = result.assignments.length;
            announce(`${n} post${n > 1 ? 's' : ''} scheduled, the first ${formatWhen(first.scheduled_for, zone)}.`);
            // Show the month of the first one.
            const date = DateTime.fromISO(first.scheduled_for, { zone }).toISODate();
            window.history.replaceState(null, '', `/calendar?view=dayGridMonth&date=${date}`);
            setJump((j) => j + 1);
          }
          void client.invalidateQueries({ queryKey: keys.posts });
        }}
      />
    </>
  );
}

/** The view and date kept in the address (?view=…&date=…), read when the calendar mounts. */
function placeInAddress() {
  const search = new URLSearchParams(window.location.search);
  return { view: search.get('view'), date: search.get('date') };
}
