import Link from 'next/link';

export default function NotFound() {
  return (
    <div className="narrow card">
      <h1>Not found</h1>
      <p>There is nothing here, or it is not yours to see.</p>
      <p>
        <Link href="/">Browse tickets</Link>
      </p>
    </div>
  );
}
