/** The dashboard's entry: session first, then the one live connection, then the routed pages. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Route, Router, Switch } from 'wouter';
import { SessionGate } from './session';
import { LiveProvider } from './live';
import { Layout } from './layout';
import { routes } from './routes';
import './styles.css';

function NotFound() {
  return (
    <>
      <h1>Not found</h1>
      <p>The dashboard has no page at this address.</p>
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionGate>
      <LiveProvider>
        <Router base="/ui">
          <Layout>
            <Switch>
              {routes.map((r) => (
                <Route key={r.path} path={r.path} component={r.page} />
              ))}
              <Route component={NotFound} />
            </Switch>
          </Layout>
        </Router>
      </LiveProvider>
    </SessionGate>
  </StrictMode>,
);
