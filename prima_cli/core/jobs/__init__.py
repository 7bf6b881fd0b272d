"""Background work on a PostgreSQL job engine (procrastinate), for stores shared by several
machines: `prima worker run` on each of them, one PostgreSQL.

- ``engine``: the engine for a store (PostgreSQL and the ``workers`` extra, else exit 78);
- ``tasks``: the task names, queues and locks, and their registration on the engine;
- ``fanout``: a window: a run opened and one sync job per enabled connection;
- ``sync_job``: one connection's sync, the same code path as `prima platforms sync`;
- ``outbox_jobs``: pushes of bookings that never reached a platform, and reconciles;
- ``job_runs``: what job runs record (results once per connection, skips, the run's end);
- ``maintenance``: stalled-job recovery, pruning of finished jobs, abandoned runs;
- ``runner``: `prima worker run`; ``status`` and ``admin``: what the operator sees and does.
"""
