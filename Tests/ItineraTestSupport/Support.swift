import Itinera
