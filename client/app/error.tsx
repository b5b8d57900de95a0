'use client';

import { useEffect } from 'react';

/** A page failed to render, usually because a service did not answer. */
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <div className="narrow card">
      <h1>Something went wrong</h1>
      <p role="alert">The page could not be loaded. Please try again in a moment.</p>
      <button type="button" className="button button-primary" onClick={() => reset()}>
        Try again
      </button>
    </div>
  );
}
