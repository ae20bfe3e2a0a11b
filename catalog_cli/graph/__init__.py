"""Pictures of what a catalog holds: a Pipeline's tasks and the order they run in, and a
dependency closure. ``model`` is the graph, ``pipeline`` and ``closure`` build one,
``render`` writes it as DOT, Mermaid or SVG (Graphviz's ``dot`` lays it out; nothing
here places a node), and ``svgsafe`` keeps only harmless SVG of what ``dot`` wrote.
"""
