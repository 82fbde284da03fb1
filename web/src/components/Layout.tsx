import { useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import { keys, useSession } from '../api/queries.ts';
import type { Session } from '../api/types.ts';
import { Link, navigate, useLocation } from '../lib/router.tsx';
import { NoticeArea } from './feedback.tsx';

const NAV = [
  { to: '/compose', label: 'Compose' },
  { to: '/calendar', label: 'Calendar' },
  { to: '/posts', label: 'Posts' },
  { to: '/import', label: 'Import' },
  { to: '/accounts', label: 'Accounts' },
  { to: '/presets', label: 'Presets' },
  { to: '/settings', label: 'Settings' },
];

/** The dashboard frame: sidebar (a menu button on phones), skip link, notices, the page. */
export function Layout({ children }: { children: ReactNode }) {
  const { path } = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const session = useSession();
  const client = useQueryClient();
  useEffect(() => setMenuOpen(false), [path]);

  const signOut = async () => {
    await api('DELETE', '/v1/session').catch(() => {});
    navigate('/', { replace: true });
    client.setQueryData<Session>(keys.session, { setup_required: false, signed_in: false, user: null, expires_at: null });
    client.removeQueries({ predicate: (q) => q.queryKey[0] !== keys.session[0] });
  };

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/compose" className="brand">
          <Logo /> Octopost
        </Link>
        <button type="button" className="button menu-button" aria-expanded={menuOpen} aria-controls="sidebar" onClick={() => setMenuOpen((o) => !o)}>
          Menu
        </button>
      </header>
      <nav id="sidebar" className={menuOpen ? 'sidebar open' : 'sidebar'} aria-label="Main">
        <Link to="/compose" className="brand brand-side">
          <Logo /> Octopost
        </Link>
        <ul>
          {NAV.map((item) => {
            const current = path === item.to || path.startsWith(`${item.to}/`) || (item.to === '/compose' && path === '/');
            return (
              <li key={item.to}>
                <Link to={item.to} aria-current={current ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            );
          })}
        </ul>
        <div className="sidebar-foot">
          <span className="muted ellipsis" title={session.data?.user?.email ?? ''}>
            {session.data?.user?.email}
          </span>
          <button type="button" className="button small" onClick={signOut}>
            Sign out
          </button>
        </div>
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        <NoticeArea />
        {children}
      </main>
    </div>
  );
}

/** Each page's heading: sets the document title and takes focus after navigation, for screen readers. */
export function PageTitle({ children, actions }: { children: string; actions?: ReactNode }) {
  const { path } = useLocation();
  useEffect(() => {
    document.title = `${children} · Octopost`;
  }, [children]);
  useEffect(() => {
    const h1 = document.getElementById('page-title');
    if (h1 && document.activeElement === document.body) h1.focus({ preventScroll: true });
  }, [path]);
  return (
    <div className="page-head">
      <h1 id="page-title" tabIndex={-1}>
        {children}
      </h1>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}

/** The mark: eight arms around a dot, drawn inline (no emoji font needed). */
function Logo() {
  return (
    <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <circle cx="12" cy="12" r="4" fill="#a5b4fc" />
      {Array.from({ length: 8 }, (_, i) => (
        <line key={i} x1="12" y1="12" x2="12" y2="2.5" stroke="#a5b4fc" strokeWidth="2" strokeLinecap="round" transform={`rotate(${i * 45} 12 12)`} />
      ))}
    </svg>
  );
}
