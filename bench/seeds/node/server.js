// Seed a's signaling server, written from its description for moim's benchmarks only:
// Node, Express and Socket.IO. A peer emits `join-room` with a room id; it hears
// `existing-users` (the socket ids already in the room) and the others hear `user-joined`.
// `offer`, `answer` and `ice-candidate` carry a `target` socket id and are relayed to it with
// the sender's id as `from`. Listens on 127.0.0.1 only (PORT, default 3000).
// Nothing is sent to the peers unasked: no logging per message, no extra events.
'use strict';

const http = require('http');
const express = require('express');
const { Server } = require('socket.io');

const app = express();
app.get('/', (_req, res) => res.send('seed signaling server'));

const server = http.createServer(app);
// Socket.IO's defaults (25 s / 20 s) unless a test asks for pings it can see in a short run.
const io = new Server(server, {
  pingInterval: Number(process.env.SEED_PING_INTERVAL_MS || 25000),
  pingTimeout: Number(process.env.SEED_PING_TIMEOUT_MS || 20000),
});

// room id -> Set of socket ids, and socket id -> room id.
const rooms = new Map();
const roomOf = new Map();

function leave(socket) {
  const roomId = roomOf.get(socket.id);
  if (roomId === undefined) return;
  roomOf.delete(socket.id);
  const members = rooms.get(roomId);
  if (members) {
    members.delete(socket.id);
    if (members.size === 0) rooms.delete(roomId);
  }
  socket.leave(roomId);
  socket.to(roomId).emit('user-left', socket.id);
}

io.on('connection', (socket) => {
  socket.on('join-room', (roomId) => {
    if (typeof roomId !== 'string' || roomId === '') return;
    leave(socket);
    let members = rooms.get(roomId);
    if (!members) {
      members = new Set();
      rooms.set(roomId, members);
    }
    socket.emit('existing-users', [...members]);
    members.add(socket.id);
    roomOf.set(socket.id, roomId);
    socket.join(roomId);
    socket.to(roomId).emit('user-joined', socket.id);
  });

  // The three relays: to the target socket only, with the sender's id.
  for (const [event, field] of [['offer', 'offer'], ['answer', 'answer'], ['ice-candidate', 'candidate']]) {
    socket.on(event, (data) => {
      if (!data || typeof data.target !== 'string') return;
      io.to(data.target).emit(event, { from: socket.id, [field]: data[field] });
    });
  }

  socket.on('disconnect', () => leave(socket));
});

const port = Number(process.env.PORT || 3000);
server.listen(port, '127.0.0.1', () => {
  console.log(`seed node server on http://127.0.0.1:${port}`);
});
