import CNcurses
import VizorModel
