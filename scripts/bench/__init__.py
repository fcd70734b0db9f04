"""The benchmark (``make bench``): every page under load on PostgreSQL, three ways.

- ``__main__``: the run (dataset, gunicorn, each page measured warm, cold and mixed, downloads).
- ``database``: the PostgreSQL server and the dataset's database, loaded once per size.
- ``measure``: wrk driven warm (the same address), cold (a never-sent query parameter on each
  request, ``pages.lua``) and mixed (readers over every page while ``writes`` writes), and the
  downloads.
- ``writes``: the writer of the mixed run, a Django process calling the actions at a steady rate.
- ``report``: pure logic: reading wrk's output, the busy rule, the table and the last line.
"""
