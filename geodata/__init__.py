"""geodata: Shenzhen's districts, streets, hot-spots, demand points and candidate sites.

Everything is returned in one metric CRS (METRIC_CRS, EPSG:4547); ``to_wgs84`` converts
layers for people. Bad input raises GeodataError naming the file, field or value.
"""

from geodata.assets import load_buildings, load_existing_cameras
from geodata.city import City, load_city
from geodata.crs import METRIC_CRS, WGS84, to_wgs84
from geodata.districts import DISTRICT_NAMES, DISTRICTS, load_districts
from geodata.errors import GeodataError
from geodata.hotspots import CATEGORIES, DEFAULT_CATEGORY_WEIGHTS, load_hotspots
from geodata.intensity import DEFAULT_BANDWIDTH_M, HOTSPOT_THRESHOLD, HotspotIntensity
from geodata.network import StreetNetwork
from geodata.sampling import candidate_sites, sample_demand
from geodata.streets import DEFAULT_SEED, load_streets

__all__ = [
    "CATEGORIES",
    "DEFAULT_BANDWIDTH_M",
    "DEFAULT_CATEGORY_WEIGHTS",
    "DEFAULT_SEED",
    "DISTRICTS",
    "DISTRICT_NAMES",
    "HOTSPOT_THRESHOLD",
    "METRIC_CRS",
    "WGS84",
    "City",
    "GeodataError",
    "HotspotIntensity",
    "StreetNetwork",
    "candidate_sites",
    "load_buildings",
    "load_city",
    "load_districts",
    "load_existing_cameras",
    "load_hotspots",
    "load_streets",
    "sample_demand",
    "to_wgs84",
]
