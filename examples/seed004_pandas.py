"""Seed 004, data preprocessing (d2l 2.2): a CSV through pandas into tensors, run with ember."""
import os
import tempfile

import pandas as pd

import ember as torch

data_dir = tempfile.mkdtemp()
data_file = os.path.join(data_dir, 'house_tiny.csv')
with open(data_file, 'w') as f:
    f.write('NumRooms,Alley,Price\n')  # column names
    f.write('NA,Pave,127500\n')  # one sample per row
    f.write('2,NA,106000\n')
    f.write('4,NA,178100\n')
    f.write('NA,NA,140000\n')

data = pd.read_csv(data_file)
print(data)

inputs, outputs = data.iloc[:, 0:2], data.iloc[:, 2]
inputs = inputs.fillna(inputs.mean(numeric_only=True))  # NaN -> mean of the rest (2 and 4 -> 3)
print(inputs)

inputs = pd.get_dummies(inputs, dummy_na=True)  # the NaN category becomes its own column
print(inputs)

X = torch.tensor(inputs.to_numpy(dtype=float))
y = torch.tensor(outputs.to_numpy(dtype=float))
print(X)
print(y)
X, y = torch.tensor(inputs.to_numpy(dtype=float), dtype=torch.float32), torch.tensor(outputs.values)
print(X)
print(y)
