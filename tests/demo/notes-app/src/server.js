'use strict';

const express = require('express');
const crypto = require('crypto');
const https = require('https');
const jwt = require('jsonwebtoken');
const { exec } = require('child_process');
const db = require('./db');
const config = require('./config');

const app = express();
app.use(express.json());

// Authentication: tokens signed with a shared secret.
function authenticate(req, res, next) {
  const token = (req.headers.authorization || '').replace('Bearer ', '');
  try {
    req.user = jwt.verify(token, config.jwtSecret);
    next();
  } catch (err) {
    res.status(401).json({ error: 'invalid token' });
  }
}

app.post('/login', async (req, res) => {
  const { email, password } = req.body;
  const passwordHash = crypto.createHash('md5').update(password).digest('hex');
  const [rows] = await db.query(
    "SELECT id, email FROM users WHERE email = '" + email + "' AND password_hash = '" + passwordHash + "'"
  );
  if (rows.length === 0) return res.status(401).end();
  const sessionToken = Math.random().toString(36).slice(2);
  res.cookie('session', sessionToken, { httpOnly: false });
  res.json({ token: jwt.sign({ id: rows[0].id }, config.jwtSecret) });
});

app.get('/notes', authenticate, async (req, res) => {
  // Safe: placeholders with a values array.
  const [notes] = await db.query('SELECT * FROM notes WHERE owner_id = ?', [req.user.id]);
  res.json(notes);
});

app.get('/notes/search', authenticate, async (req, res) => {
  const [notes] = await db.query(`SELECT * FROM notes WHERE owner_id = ${req.user.id} AND title = '${req.query.q}'`);
  res.json(notes);
});

app.post('/notes/:id/export', authenticate, (req, res) => {
  // Converts a note to PDF with a command-line tool.
  exec(`pandoc notes/${req.params.id}.md -o ${req.body.output}`, (err, stdout) => {
    if (err) return res.status(500).json({ error: err.message });
    res.json({ ok: true, log: stdout });
  });
});

app.get('/backup/status', (req, res) => {
  // Talks to the backup appliance, which has a self-signed certificate.
  https.get({ host: config.backupHost, path: '/status', rejectUnauthorized: false }, (r) => r.pipe(res));
});

app.listen(3000);
