#!/usr/bin/python3
"""RTSP side of the NVR simulator, served by gst-rtsp-server (GStreamer 1.22) through PyGObject.

rtsp-server-process.ts starts this script with Debian's /usr/bin/python3, which has the gi module.
It listens on 127.0.0.1 on a free port and prints {"event": "ready", "port": N} on stdout.
It reads JSON commands on stdin, one per line:
    {"command": "set-password", "password": "..."}
It stops on SIGTERM, SIGINT or when stdin closes.

Mounts (RTSP Digest authentication, TCP-interleaved transport only, so all traffic passes through
the simulator's TCP proxy):
    /cam/realmonitor?channel=1&subtype=0        Dahua live
    /Streaming/Channels/101 (and 102)            Hikvision live
    /cam/playback?channel=1&starttime=YYYY_MM_DD_HH_MM_SS&endtime=...     Dahua playback
    /Streaming/tracks/101?starttime=YYYYMMDDTHHMMSSZ&endtime=...          Hikvision playback

Live media is shared and payloads the recorder's H.264 as it arrives on UDP, without re-encoding.
For playback, the simulator's HTTP server writes the cut to a file, which this server sends at real time.
"""

import argparse
import json
import os
import signal
import sys
import urllib.error
import urllib.parse
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

ROLE = "user"
LIVE_CHANNEL = "1"
PAYLOADERS = {
    "h264": "h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1",
    "hevc": "h265parse ! rtph265pay name=pay0 pt=96 config-interval=-1",
}


def log(message, **fields):
    print(json.dumps({"component": "rtsp_server", "message": message, **fields}), file=sys.stderr, flush=True)


def query_of(url):
    return urllib.parse.parse_qs(url.query or "")


def allow_role(factory):
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role(ROLE, "media.factory.access", True)
    permissions.add_permission_for_role(ROLE, "media.factory.construct", True)
    factory.set_permissions(permissions)


class LiveFactory(GstRtspServer.RTSPMediaFactory):
    """Shared live media fed by the recorder's MPEG-TS on a UDP port of 127.0.0.1.

    One factory serves every live mount, and all requests for channel 1 get the same key, so all
    clients share one media and one UDP socket. Two udpsrc elements on one port would split the
    datagrams between them.
    """

    def __init__(self, udp_port):
        super().__init__()
        self.udp_port = udp_port
        self.set_shared(True)
        self.set_protocols(GstRtsp.RTSPLowerTrans.TCP)
        allow_role(self)

    @staticmethod
    def is_known_channel(url):
        if url.abspath.startswith("/cam/realmonitor"):
            return query_of(url).get("channel", [None])[0] == LIVE_CHANNEL
        return True

    def do_gen_key(self, url):
        return "live" if self.is_known_channel(url) else None

    def do_create_element(self, url):
        if not self.is_known_channel(url):
            log("Rejected live request for an unknown channel", uri=url.get_request_uri())
            return None
        return Gst.parse_launch(
            f"udpsrc address=127.0.0.1 port={self.udp_port} buffer-size=1048576 "
            'caps="video/mpegts,systemstream=(boolean)true,packetsize=(int)188" '
            f"! tsdemux ! {PAYLOADERS['h264']}"
        )


class PlaybackFactory(GstRtspServer.RTSPMediaFactory):
    """One media per request, playing a cut that the simulator's HTTP server writes to a file.

    The cut is a file rather than an HTTP stream because gst-rtsp-server seeks to the PLAY request's
    "Range: npt=0-". tsdemux (1.22) reports itself seekable even on an unseekable HTTP stream, so the
    seek fails and the server responds with 503. From a file, tsdemux seeks in pull mode.
    """

    def __init__(self, http_port):
        super().__init__()
        self.http_port = http_port
        self.clip_paths = {}
        self.media_count = 0
        self.set_shared(False)
        self.set_protocols(GstRtsp.RTSPLowerTrans.TCP)
        allow_role(self)
        self.connect("media-configure", self.on_media_configure)

    def do_create_element(self, url):
        request = url.abspath + ("?" + url.query if url.query else "")
        prepare_url = (
            f"http://127.0.0.1:{self.http_port}/__sim/internal/playback-prepare"
            f"?uri={urllib.parse.quote(request, safe='')}"
        )
        try:
            with urllib.request.urlopen(prepare_url, timeout=60) as response:
                clip = json.load(response)
        except urllib.error.HTTPError as error:
            log("Rejected playback request", uri=url.get_request_uri(), status=error.code)
            return None
        except (urllib.error.URLError, OSError, ValueError) as error:
            log("Preparing a playback cut failed", uri=url.get_request_uri(), error=str(error))
            return None

        self.media_count += 1
        name = f"playback{self.media_count}"
        element = Gst.parse_launch(f'filesrc location="{clip["path"]}" ! tsdemux ! {PAYLOADERS[clip["codec"]]}')
        element.set_name(name)
        self.clip_paths[name] = clip["path"]
        return element

    def on_media_configure(self, _factory, media):
        path = self.clip_paths.pop(media.get_element().get_name(), None)
        if path:
            media.connect("unprepared", lambda _media: remove_quietly(path))


def remove_quietly(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--udp-port", type=int, required=True, help="UDP port of the live MPEG-TS feed")
    parser.add_argument("--http-port", type=int, required=True, help="simulator HTTP port for playback cuts")
    parser.add_argument("--realm", required=True, help="Digest realm")
    args = parser.parse_args()

    # Credentials come on stdin, not argv, so they do not show in the process list.
    pending = bytearray()
    while b"\n" not in pending:
        chunk = os.read(0, 4096)
        if not chunk:
            sys.exit("stdin closed before the credentials line")
        pending.extend(chunk)
    first_line, _, rest = bytes(pending).partition(b"\n")
    pending[:] = rest
    credentials = json.loads(first_line)
    username = credentials["username"]

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service("0")

    auth = GstRtspServer.RTSPAuth()
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    auth.set_realm(args.realm)
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", ROLE)
    auth.add_digest(username, credentials["password"], token)
    server.set_auth(auth)

    mounts = server.get_mount_points()
    live = LiveFactory(args.udp_port)
    playback = PlaybackFactory(args.http_port)
    # Sub streams (subtype=1, channel 102) get the main stream: the recorder encodes only one.
    mounts.add_factory("/cam/realmonitor", live)
    mounts.add_factory("/Streaming/Channels/101", live)
    mounts.add_factory("/Streaming/Channels/102", live)
    mounts.add_factory("/cam/playback", playback)
    mounts.add_factory("/Streaming/tracks/101", playback)

    server.attach(None)
    loop = GLib.MainLoop()

    def set_password(password):
        auth.remove_digest(username)
        auth.add_digest(username, password, token)

    def on_stdin(fd, condition):
        chunk = os.read(fd, 4096) if condition & GLib.IOCondition.IN else b""
        if not chunk:
            log("stdin closed; stopping")
            loop.quit()
            return False
        pending.extend(chunk)
        while b"\n" in pending:
            line, _, rest = bytes(pending).partition(b"\n")
            pending[:] = rest
            command = json.loads(line)
            if command.get("command") == "set-password":
                set_password(command["password"])
            else:
                log("Ignored unknown command", command=command.get("command"))
        return True

    GLib.unix_fd_add_full(GLib.PRIORITY_DEFAULT, 0, GLib.IOCondition.IN | GLib.IOCondition.HUP, on_stdin)
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal_number, loop.quit)

    print(json.dumps({"event": "ready", "port": server.get_bound_port()}), flush=True)
    loop.run()


if __name__ == "__main__":
    main()
