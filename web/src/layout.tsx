/** The frame around every page: skip link, navigation, who is signed in, the connection banner. */
import type { ReactNode } from 'react';
import { Link, useRoute } from 'wouter';
import { routes } from './routes';
import { useSession } from './session';
import { ConnectionBanner } from './ui/connection-banner';

function NavLink({ path, title }: { path: string; title: string }) {
  const [active] = useRoute(path);
  return (
    <Link href={path} aria-current={active ? 'page' : undefined} className={active ? 'active' : undefined}>
      {title}
    </Link>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const session = useSession();
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Paz</span>
        <nav aria-label="Main">
          {routes
            .filter((r) => r.nav)
            .map((r) => (
              <NavLink key={r.path} path={r.path} title={r.title} />
            ))}
        </nav>
        <span className="who">
          {session.authOff ? (
            <span title="this server runs with --no-auth">auth off</span>
          ) : (
            <>
              <span>
                {session.name} <span className="muted">({session.role})</span>
              </span>
              <button type="button" onClick={session.signOut}>
                Sign out
              </button>
            </>
          )}
        </span>
      </header>
      <ConnectionBanner />
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
