#!/usr/bin/python3
"""dnd-source.py FILE: a GTK 3 window whose button is a drag source
offering FILE as a file:// URI (text/uri-list), for scripts/dnd-test.sh."""
import sys
import gi
gi.require_version("Gdk", "3.0")
gi.require_version("Gdk", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gdk, Gio, Gtk

uri = Gio.File.new_for_path(sys.argv[1]).get_uri()
win = Gtk.Window(title="dnd-source")
button = Gtk.Button(label="drag me")
button.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
button.drag_source_add_uri_targets()
button.connect("drag-data-get", lambda w, ctx, data, info, t: data.set_uris([uri]))
win.add(button)
win.set_default_size(200, 120)
win.connect("destroy", Gtk.main_quit)
win.show_all()
Gtk.main()
