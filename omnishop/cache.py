"""The Redis cache (throttle counters, login lockouts), keeping its clients.

Django's Redis backend builds a new ``redis.Redis`` object for every cache call (each builds
its table of response callbacks: about 0.05 ms); a throttled API request makes several calls.
This backend keeps one client per connection pool instead: a client holds no connection of its
own (the pool does, and the pool is fork- and thread-safe), so sharing it changes nothing else.
"""

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
