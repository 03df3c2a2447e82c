"""The four buttons on gpiozero's MockFactory: a press as the pin sees it, and the LEDs that answer."""



def lit_count(pin):
    """How many times the LED pin was switched on."""
    states = [s.state for s in pin.states]
    return sum(1 for before, after in zip(states, states[1:], strict=False) if not before and after)


def press(kiosk, rating, clock, hold=0.2):
    """A customer's press: down, held *hold* seconds, up, then a pause."""
    pin = kiosk.buttons.button_pin(rating)
    pin.drive_low()
    clock.advance(hold)
    pin.drive_high()
    clock.advance(5)
