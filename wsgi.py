"""The one module that builds the app for servers: ``gunicorn -c gunicorn.conf.py wsgi:app`` (``make serve``,
``make run``), or ``python wsgi.py`` (Werkzeug's development server, one thread per connection)."""
import os

from portal import create_app
from portal.extensions import socketio

app = create_app()

if __name__ == "__main__":
    socketio.run(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "5000")),
        allow_unsafe_werkzeug=True,  # the development server, for trying things out only
        use_reloader=False,
    )
