"""Seed b's signaling server, written from its description for moim's benchmarks only:
Flask-SocketIO on eventlet. A peer emits `join_room` with `{"room": id}`; it hears
`existing-users` (the users already in the room) and the others hear `user-joined`.
`offer`, `answer` and `ice_candidate` carry a `target` sid and are relayed to it with the
sender's sid as `from`. Listens on 127.0.0.1 only (--port, default 5000).
"""

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402

from flask import Flask, request  # noqa: E402
from flask_socketio import SocketIO, emit, join_room, leave_room  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode="eventlet")

# room id -> {sid: user}, and sid -> room id.
rooms = {}
room_of = {}


@app.route("/")
def index():
    return "seed signaling server"


def leave(sid):
    room = room_of.pop(sid, None)
    if room is None:
        return
    members = rooms.get(room, {})
    members.pop(sid, None)
    if not members:
        rooms.pop(room, None)
    leave_room(room, sid=sid)
    emit("user-left", {"sid": sid}, to=room)


@socketio.on("join_room")
def on_join(data):
    room = data.get("room") if isinstance(data, dict) else None
    if not isinstance(room, str) or not room:
        return
    sid = request.sid
    leave(sid)
    members = rooms.setdefault(room, {})
    emit("existing-users", list(members.values()))
    user = {"sid": sid}
    members[sid] = user
    room_of[sid] = room
    join_room(room)
    emit("user-joined", user, to=room, include_self=False)


def relay(event, field):
    def handler(data):
        if not isinstance(data, dict) or not isinstance(data.get("target"), str):
            return
        emit(event, {"from": request.sid, field: data.get(field)}, to=data["target"])

    socketio.on_event(event, handler)


relay("offer", "offer")
relay("answer", "answer")
relay("ice_candidate", "candidate")


@socketio.on("disconnect")
def on_disconnect(*_args):
    leave(request.sid)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    socketio.run(app, host="127.0.0.1", port=args.port, log_output=False)
