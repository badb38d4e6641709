"""The playground: a page that only draws and a server that trains (``neuronless playground``).

:mod:`neuronless.web.server` (Starlette, the ``web`` extra) serves ``static/`` and the API of
docs/playground-api.md; :mod:`neuronless.web.session` holds each tab's data, network and
training thread; :mod:`neuronless.web.config` checks every setting against its caps. Importing
this package imports neither Starlette nor NumPy.
"""
