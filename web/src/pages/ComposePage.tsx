import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useMemo, useState } from 'react';
import { ApiError, api, errorMessage } from '../api/client.ts';
import { keys, postActions, useAccounts, usePlatforms, usePresets } from '../api/queries.ts';
import type { Image, Post, PostInput } from '../api/types.ts';
import { Counters } from '../components/Counters.tsx';
import { ErrorNote, FieldError, Loading, announce } from '../components/feedback.tsx';
import { ImagesEditor } from '../components/ImagesEditor.tsx';
import { PageTitle } from '../components/Layout.tsx';
import { ScheduleDialog } from '../components/ScheduleDialog.tsx';
import { SegmentsEditor } from '../components/SegmentsEditor.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { TargetPicker } from '../components/TargetPicker.tsx';
import { countTargets, crossLinkOf, humanProblem, imageProblems, problemsFor, serverContentProblem, useContentRules } from '../lib/content-check.ts';
import { Link, navigate } from '../lib/router.tsx';
import { defaultTargets, type Targets, targetsBody } from '../lib/targets.ts';
import { formatWhen, useZone } from '../lib/zone.ts';

/** Errors handed from a new post's composer to its edit page (the post was saved, the action failed). */
const carried = new Map<string, { error: unknown; title: string }>();

interface Form {
  content: string;
  targets: Targets;
  images: Image[];
  segments: { content: string }[];
}

const fromPost = (post: Post): Form => ({
  content: post.content,
  targets: { presetId: null, accountIds: post.accounts },
  images: post.media.images.map((i) => ({ url: i.url, alt_text: i.alt_text ?? '' })),
  segments: post.segments,
});

/**
 * Compose a new post, edit a draft or scheduled one (editId), or start from a copy (fromId).
 * Publish now, Save draft, or Schedule → date and time → Confirm Schedule.
 */
export function ComposePage({ editId, fromId }: { editId?: string; fromId?: string | null }) {
  const sourceId = editId ?? fromId ?? null;
  const client = useQueryClient();
  const zone = useZone();
  const accounts = useAccounts();
  const presets = usePresets();
  const platforms = usePlatforms();
  const source = useQuery({
    queryKey: keys.post(sourceId ?? 'none'),
    queryFn: () => api<Post>('GET', `/v1/posts/${encodeURIComponent(sourceId!)}`),
    enabled: sourceId !== null,
  });
  const [form, setForm] = useState<Form | null>(null);
  const [scheduling, setScheduling] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  // A new post saved before an action failed reopens as its edit page: the error comes along.
  const [error, setError] = useState<unknown>(() => (editId ? (carried.get(editId)?.error ?? null) : null));
  const [errorTitle, setErrorTitle] = useState(() => (editId ? (carried.get(editId)?.title ?? null) : null) ?? 'Not saved:');
  useEffect(() => {
    if (editId) carried.delete(editId);
  }, [editId]);
  const [tried, setTried] = useState(false);
  const contentId = useId();

  // Fill the form once what it starts from has loaded (the default preset for a new post).
  useEffect(() => {
    // Wait for fresh lists: a cached preset may predate the account just connected.
    if (form || !accounts.data || !presets.data || accounts.isFetching || presets.isFetching) return;
    if (sourceId === null) setForm({ content: '', targets: defaultTargets(presets.data, accounts.data), images: [], segments: [] });
    else if (source.data) setForm(fromPost(source.data));
  }, [form, accounts.data, presets.data, accounts.isFetching, presets.isFetching, source.data, sourceId]);

  const contentRules = useContentRules();
  // Each selected account counts by its own rules (X weighs characters, a Mastodon instance sets
  // its limit), with the cross-link added where the post's preset puts one.
  const countedTargets = useMemo(() => {
    if (!form || !accounts.data || !platforms.data || !presets.data) return [];
    const selected = accounts.data.filter((a) => form.targets.accountIds.includes(a.id));
    const sent = targetsBody(form.targets, presets.data, accounts.data);
    const preset = 'preset_id' in sent ? presets.data.find((p) => p.id === sent.preset_id) : undefined;
    return countTargets(selected, platforms.data, crossLinkOf(preset, selected));
  }, [form, accounts.data, platforms.data, presets.data]);

  const loadError = accounts.error ?? presets.error ?? platforms.error ?? source.error;
  const title = editId ? 'Edit post' : 'Compose';
  if (loadError) return (<><PageTitle>{title}</PageTitle><ErrorNote error={loadError} /></>);
  if (!form || !accounts.data || !presets.data) return (<><PageTitle>{title}</PageTitle><Loading what="the composer" /></>);

  const editing = editId ? source.data : undefined;
  if (editing && editing.status !== 'draft' && editing.status !== 'scheduled') {
    return (
      <>
        <PageTitle>{title}</PageTitle>
        <p className="note">
          This post is {editing.status.replace('_', ' ')} and can no longer change. <Link to={`/posts/${editing.id}`}>See its details</Link>, or{' '}
          <Link to={`/compose?from=${editing.id}`}>start a new post from a copy</Link>.
        </p>
      </>
    );
  }

  const update = (patch: Partial<Form>) => setForm({ ...form, ...patch });
  const post = { content: form.content, segments: form.segments.filter((s) => s.content.trim() !== ''), media: { images: form.images } };
  const images = imageProblems(form.images);
  const problems = [
    ...(form.content.trim() === '' ? ['Write the post first: it is empty.'] : []),
    ...(form.targets.accountIds.length === 0 ? ['Pick at least one account (or a preset) to publish to.'] : []),
    ...problemsFor(contentRules, post, countedTargets).map(humanProblem),
    ...images.errors,
  ];

  const body = (): PostInput => ({
    content: form.content,
    ...targetsBody(form.targets, presets.data, accounts.data),
    media: { images: form.images.map((i) => ({ url: i.url.trim(), ...(i.alt_text?.trim() && { alt_text: i.alt_text.trim() }) })) },
    segments: post.segments,
  });

  /** Runs one action: checks first, then the API; the page moves on when it worked. */
  const run = async (label: string, action: () => Promise<Post>, done: (p: Post) => void) => {
    setTried(true);
    setError(null);
    if (problems.length > 0) return;
    setBusy(label);
    try {
      const saved = await action();
      client.setQueryData(keys.post(saved.id), saved);
      await client.invalidateQueries({ queryKey: keys.posts });
      setScheduling(false);
      done(saved);
    } catch (err) {
      // Refused for a limit the page did not know (an instance changed its own): fetch the accounts' rules again.
      if (err instanceof ApiError && err.status === 422 && typeof err.details.limit === 'number') void client.invalidateQueries({ queryKey: keys.accounts });
      setError(err);
      setErrorTitle(label === 'queue' ? 'Not queued:' : label === 'publish' ? 'Not published:' : 'Not saved:');
    } finally {
      setBusy(null);
    }
  };

  const save = () =>
    run('save', () => (editing ? postActions.update(editing.id, body()) : postActions.create(body())), (p) => {
      announce(editing?.status === 'scheduled' ? 'Changes saved; the post stays scheduled.' : 'Draft saved.');
      if (!editing) navigate(`/posts/${p.id}/edit`, { replace: true });
    });
  const schedule = (iso: string) =>
    run('schedule', () => (editing ? postActions.update(editing.id, { ...body(), scheduled_for: iso }) : postActions.create({ ...body(), scheduled_for: iso })), (p) => {
      announce(`Scheduled for ${formatWhen(p.scheduled_for!, zone)}.`);
      navigate(`/posts/${p.id}`);
    });
  /** Saves the draft, then puts it in the next free slot of its accounts' posting queues. */
  const addToQueue = () =>
    run('queue', async () => {
      const saved = editing ? await postActions.update(editing.id, body()) : await postActions.create(body());
      try {
        return await postActions.queue(saved.id);
      } catch (err) {
        // Saved as a draft all the same: stay on it, with the reason shown.
        const shown = new Error(`${errorMessage(err)} The post is saved as a draft.`);
        if (!editing) {
          carried.set(saved.id, { error: shown, title: 'Not queued:' });
          navigate(`/posts/${saved.id}/edit`, { replace: true });
        }
        throw shown;
      }
    }, (p) => {
      announce(`Added to the queue: goes out ${formatWhen(p.scheduled_for!, zone)}.`);
      navigate(`/posts/${p.id}`);
    });
  const publish = () =>
    run('publish', async () => {
      const saved = editing ? await postActions.update(editing.id, { ...body(), scheduled_for: null }) : await postActions.create(body());
      try {
        return await postActions.publish(saved.id);
      } catch (err) {
        if (!editing) carried.set(saved.id, { error: err, title: 'Not published:' });
        navigate(`/posts/${saved.id}/edit`, { replace: true });
        throw err;
      }
    }, (p) => {
      announce('Publishing now: follow it on this page.');
      navigate(`/posts/${p.id}`);
    });

  const isScheduled = editing?.status === 'scheduled';
  // The server's refusal of the text (422 naming the network, the limit and the count): under the text.
  const refused = error instanceof ApiError && error.status === 422 ? serverContentProblem(error.details, error.message) : null;
  const contentRefusal = refused && (refused.field === 'content' || refused.field.startsWith('segments')) ? refused.text : null;
  const contentErrorId = `${contentId}-error`;
  return (
    <>
      <PageTitle
        actions={editing && <Link to={`/posts/${editing.id}`}>Details</Link>}
      >{title}</PageTitle>
      {editing && (
        <p className="row wrap">
          <StatusBadge status={editing.status} />
          {isScheduled && editing.scheduled_for && <span>Goes out {formatWhen(editing.scheduled_for, zone)}</span>}
        </p>
      )}
      <form className="compose" onSubmit={(e) => { e.preventDefault(); void save(); }}>
        <section className="panel stack" aria-label="Content">
          <div className="field">
            <label htmlFor={contentId}>Post text</label>
            <textarea
              id={contentId}
              rows={8}
              value={form.content}
              onChange={(e) => {
                update({ content: e.target.value });
                if (contentRefusal) setError(null);
              }}
              placeholder="What do you want to share?"
              aria-invalid={contentRefusal ? true : undefined}
              aria-describedby={contentRefusal ? contentErrorId : undefined}
            />
            <FieldError id={contentErrorId} message={contentRefusal && `Refused by the server: ${contentRefusal}`} />
          </div>
          <Counters text={form.content} targets={countedTargets} label="the post" main />
          <ImagesEditor images={form.images} onChange={(images) => update({ images })} />
          <SegmentsEditor segments={form.segments} targets={countedTargets} onChange={(segments) => update({ segments })} />
        </section>
        <aside className="panel stack" aria-label="Where and when">
          <h2 className="h3">Publish to</h2>
          <TargetPicker accounts={accounts.data} presets={presets.data} value={form.targets} onChange={(targets) => update({ targets })} />
          <div aria-live="polite" className="stack tight">
            {(tried || form.content !== '') && problems.length > 0 && (
              <ul className="problems" aria-label="Problems to fix">
                {problems.map((p) => <li key={p}>{p}</li>)}
              </ul>
            )}
            {images.warnings.length > 0 && (
              <ul className="warnings" aria-label="Suggestions">
                {images.warnings.map((w) => <li key={w}>{w}</li>)}
              </ul>
            )}
          </div>
          {!scheduling && (contentRefusal ? (
            <p className="note note-error">
              <strong>{errorTitle} </strong>see the problem under the post text.
            </p>
          ) : (
            <ErrorNote error={error} title={errorTitle} />
          ))}
          <div className="actions stack-on-phone">
            <button type="button" className="button primary" disabled={busy !== null} onClick={() => { setTried(true); if (problems.length === 0) setScheduling(true); }}>
              {isScheduled ? 'Reschedule…' : 'Schedule…'}
            </button>
            {!isScheduled && (
              <button type="button" className="button" disabled={busy !== null} onClick={() => void addToQueue()}>
                {busy === 'queue' ? 'Adding…' : 'Add to queue'}
              </button>
            )}
            <button type="submit" className="button" disabled={busy !== null}>
              {busy === 'save' ? 'Saving…' : isScheduled ? 'Save changes' : 'Save draft'}
            </button>
            <button type="button" className="button" disabled={busy !== null} onClick={() => void publish()}>
              {busy === 'publish' ? 'Publishing…' : 'Publish now'}
            </button>
          </div>
        </aside>
      </form>
      <ScheduleDialog
        open={scheduling}
        initial={{ iso: editing?.scheduled_for ?? null }}
        busy={busy === 'schedule'}
        error={scheduling ? error : null}
        onConfirm={(iso) => void schedule(iso)}
        onClose={() => { setScheduling(false); setError(null); }}
      />
    </>
  );
}
