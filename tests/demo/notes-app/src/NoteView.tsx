import React from 'react';

interface Props {
  title: string;
  bodyHtml: string;
}

export function NoteView({ title, bodyHtml }: Props) {
  return (
    <article>
      <h1>{title}</h1>
      <div dangerouslySetInnerHTML={{ __html: bodyHtml }} />
    </article>
  );
}
