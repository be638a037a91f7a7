import os
import sys


class Greeter:
    def __init__(self, name):
        self.name = name

    def greet(self):
        return 
