"""Seed 001: autograd basics, gradient accumulation, a hand-written gradient-descent loop, torch.save.

The study notes' code, run unchanged with `import ember as torch`; every demo is called (the notes
only call test() and leave the others commented out). Weights are saved under ./assets/w/.
"""
import os

import ember as torch


def demo1():
    t1 = torch.tensor(7.0, requires_grad=True, dtype=torch.float32)
    t2 = t1**2 + 2 * t1 + 7
    t2.backward()
    print(t1.grad)


def demo2():
    torch.manual_seed(666)
    t1 = torch.rand(20, 4, requires_grad=True, dtype=torch.float32)
    t2 = t1**2 + 2 * t1 + 7
    t2 = t2.sum()
    t2.backward()
    print(t1.grad)


def demo3():
    t1 = torch.tensor(7.0, requires_grad=True, dtype=torch.float32)
    t2 = torch.tensor(5.0, requires_grad=True, dtype=torch.float32)
    t3 = t1**2 + 2 * t1 + 7 + t2**2
    t3.backward()
    print(t1.grad)
    print(t2.grad)


def demo4_two_tensors():
    torch.manual_seed(666)
    t1 = torch.rand(20, 4, requires_grad=True, dtype=torch.float32)
    torch.manual_seed(3)
    t2 = torch.rand(20, 4, requires_grad=True, dtype=torch.float32)
    t3 = t1**2 + 2 * t1 + 7 + t2**2
    t3 = t3.sum()
    t3.backward()
    print(t1.grad)
    print(t2.grad)


def demo4():
    x = torch.rand(20, 4, requires_grad=True, dtype=torch.float32)
    with torch.no_grad():
        y = x**2 + 2 * x + 3
    print(y.requires_grad)  # False

    @torch.no_grad()
    def test():
        y = x**2 + 2 * x + 3
        return y
    print(test().requires_grad)
    torch.set_grad_enabled(False)
    print((x * 2).requires_grad)
    torch.set_grad_enabled(True)  # the notes leave it off; the later demos need it back on


def demo5():
    torch.manual_seed(666)
    t1 = torch.rand(20, 4, requires_grad=True, dtype=torch.float32)
    for x in range(3):
        t2 = t1**2 + 2 * t1 + 7
        t2 = t2.sum()
        t2.backward()
        print(t1.grad)


def demo6():
    torch.manual_seed(666)
    t1 = torch.rand(20, 4, requires_grad=True, dtype=torch.float32)
    for x in range(3):
        t2 = t1**2 + 2 * t1 + 7
        t2 = t2.sum()
        if t1.grad != None:  # noqa: E711  (the notes' spelling)
            t1.grad.zero_()
        t2.backward()
        print(t1.grad)


def demo7():
    torch.manual_seed(666)
    w1 = torch.rand(3, 3, 3, requires_grad=True)
    torch.manual_seed(6)
    w2 = torch.rand(3, 3, 3, requires_grad=True)
    print(w1, w2)
    lr = 0.1
    turn = 100
    for x in range(turn):
        y = w1**2 + w2**2 + 2 * w1 + 2 * w2 + 100
        if w1.grad != None:  # noqa: E711
            w1.grad.zero_()
        if w2.grad != None:  # noqa: E711
            w2.grad.zero_()
        y = y.mean()
        y.backward()
        w1.data = w1.data - lr * w1.grad
        w2.data = w1.data - lr * w2.grad
    print(w1, w2)
    os.makedirs("assets/w", exist_ok=True)
    torch.save(w1.detach(), "assets/w/w1.plt")
    torch.save(w2.detach(), "assets/w/w2.plt")
    print(torch.load("assets/w/w1.plt"))


def test():
    torch.manual_seed(666)
    w1 = torch.rand(3, 3, 3, requires_grad=True)
    print(w1)
    w2 = w1.detach()
    print(w2)
    w2[:, :, 1] = 100
    print(w1)
    print(w2)


if __name__ == "__main__":
    demo1()
    demo2()
    demo3()
    demo4_two_tensors()
    demo4()
    demo5()
    demo6()
    demo7()
    test()
