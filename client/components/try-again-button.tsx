'use client';

/** Loads the page again from the server, at the address it is at. */
export function TryAgainButton() {
  return (
    <button type="button" className="button button-primary" onClick={() => window.location.reload()}>
      Try again
    </button>
  );
}
