import { lazy, Suspense } from 'react';
import { useSession } from './api/queries.ts';
import { ErrorNote, Loading } from './components/feedback.tsx';
import { Layout } from './components/Layout.tsx';
import { match, useLocation } from './lib/router.tsx';
import { AccountsPage } from './pages/AccountsPage.tsx';
import { ComposePage } from './pages/ComposePage.tsx';
import { ImportPage } from './pages/ImportPage.tsx';
import { PostDetailPage } from './pages/PostDetailPage.tsx';
import { PostsPage } from './pages/PostsPage.tsx';
import { PresetsPage } from './pages/PresetsPage.tsx';
import { QueuePage } from './pages/QueuePage.tsx';
import { SettingsPage } from './pages/SettingsPage.tsx';
import { SignInPage } from './pages/SignInPage.tsx';

// The calendar brings FullCalendar: loaded when first opened, so the other pages start light.
// Opened directly (a bookmark, a reload), its code loads while the session is being checked.
const loadCalendar = () => import('./calendar/CalendarPage.tsx');
if (window.location.pathname === '/calendar') void loadCalendar();
const CalendarPage = lazy(loadCalendar);

function Page() {
  const { path, search } = useLocation();
  if (path === '/' || path === '/compose') return <ComposePage key={`new:${search.get('from') ?? ''}`} fromId={search.get('from')} />;
  if (path === '/calendar') return <CalendarPage />;
  if (path === '/posts') return <PostsPage />;
  const edit = match('/posts/:id/edit', path);
  if (edit) return <ComposePage key={`edit:${edit.id}`} editId={edit.id!} />;
  const detail = match('/posts/:id', path);
  if (detail) return <PostDetailPage key={detail.id} id={detail.id!} />;
  if (path === '/accounts') return <AccountsPage />;
  const queue = match('/accounts/:id/queue', path);
  if (queue) return <QueuePage key={queue.id} accountId={queue.id!} />;
  if (path === '/import') return <ImportPage />;
  if (path === '/presets') return <PresetsPage />;
  if (path === '/settings') return <SettingsPage />;
  return (
    <div className="stack">
      <h1 id="page-title">Page not found</h1>
      <p>There is no page at {path}. Use the menu to find your way.</p>
    </div>
  );
}

/** Signed out: the setup (first start) or sign-in page. Signed in: the dashboard. */
export function App() {
  const session = useSession();
  if (session.isPending) return <Loading what="Octopost" />;
  if (session.isError) return <ErrorNote error={session.error} title="Octopost cannot start:" />;
  if (!session.data.signed_in) return <SignInPage setup={session.data.setup_required} />;
  return (
    <Layout>
      <Suspense fallback={<Loading what="the page" />}>
        <Page />
      </Suspense>
    </Layout>
  );
}
