// Browser code: renders notes fetched from the API.
async function renderNotes() {
  const res = await fetch('/notes');
  const notes = await res.json();
  const list = document.getElementById('notes');
  for (const note of notes) {
    const item = document.createElement('li');
    item.innerHTML = note.title;
    list.appendChild(item);
  }
  // Safe: constant markup.
  document.getElementById('footer').innerHTML = '<em>All notes loaded</em>';
}

renderNotes();
